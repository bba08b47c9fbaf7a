/* The vantage views in the DNS operations (see dnsops_views.h). */
#include "dnsops_views.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "log.h"

void mp_dnsops_views_init(struct mp_dnsops_views *v, const struct mp_time *now)
{
	memset(v, 0, sizeof(*v));
	mp_viewsched_init(&v->sched, now->mono_ms);
	mp_view_init(&v->sending);
}

void mp_dnsops_views_free(struct mp_dnsops_views *v)
{
	mp_viewsched_clear(&v->sched);
	mp_view_clear(&v->sending);
}

static const char *view_owner(const struct mp_config *cfg, size_t node,
			      char *buf, size_t len)
{
	return mp_vantage_view_name(&cfg->vantage, cfg->vantage.nodes[node],
				    buf, len);
}

/* The TXT records' TTL: nobody should cache a view for long. */
static uint32_t view_ttl(const struct mp_vantage_cfg *vc)
{
	uint64_t s = (vc->publish_interval_ms + 999) / 1000;
	return s < 1 ? 1 : (uint32_t)s;
}

static bool start_publish(struct mp_dnsops_views *v, struct mp_engine *e,
			  uint16_t id, bool dry_run, const struct mp_time *now,
			  struct mp_dns_request *req)
{
	const struct mp_config *cfg = mp_engine_config(e);
	struct mp_txt_set recs = {NULL, 0};
	char owner[300];
	int rc;

	if (mp_engine_own_view(e, now->wall_ms, &v->sending) != MP_OK)
		return false;
	if (dry_run) {
		if (!v->dry_logged)
			mp_log(LOG_NOTICE,
			       "dry-run: would publish this node's view at %s "
			       "(%zu addresses)",
			       view_owner(cfg, cfg->vantage.self, owner,
					  sizeof(owner)),
			       v->sending.n);
		v->dry_logged = true;
		mp_viewsched_published(&v->sched, &v->sending, now->mono_ms,
				       true);
		return false;
	}
	rc = mp_view_encode(&v->sending, MP_VIEW_DEFAULT_RDATA, &recs);
	if (rc == MP_OK)
		rc = mp_txt_replace_build(
		    cfg->dns.zone,
		    view_owner(cfg, cfg->vantage.self, owner, sizeof(owner)),
		    view_ttl(&cfg->vantage), &recs, id, cfg->key,
		    now->wall_ms / 1000, req);
	mp_txt_set_clear(&recs);
	if (rc != MP_OK) {
		mp_log(LOG_ERR, "vantage: cannot build this node's view: %s",
		       mp_strerror(rc));
		mp_viewsched_published(&v->sched, &v->sending, now->mono_ms,
				       false);
		return false;
	}
	v->sent_ms = now->mono_ms;
	return true;
}

bool mp_dnsops_views_start(struct mp_dnsops_views *v, struct mp_engine *e,
			   uint16_t id, bool dry_run, const struct mp_time *now,
			   struct mp_dns_request *req, bool *read,
			   uint64_t *wake_ms)
{
	const struct mp_config *cfg = mp_engine_config(e);
	const struct mp_vantage_cfg *vc = &cfg->vantage;
	char owner[300];
	int node;

	if (!vc->enabled)
		return false;
	node = mp_viewsched_read_due(&v->sched, vc, now->mono_ms, wake_ms);
	if (node >= 0 &&
	    mp_query_build(view_owner(cfg, (size_t)node, owner, sizeof(owner)),
			   MP_RRTYPE_TXT, id, cfg->key, now->wall_ms / 1000,
			   req) == MP_OK) {
		v->node = (size_t)node;
		*read = true;
		return true;
	}
	if (node >= 0) /* cannot be built: try again later */
		mp_viewsched_read_done(&v->sched, vc, (size_t)node,
				       now->mono_ms);
	*read = false;
	if (mp_engine_own_view(e, now->wall_ms, &v->sending) != MP_OK ||
	    !mp_viewsched_publish_due(&v->sched, vc, &v->sending, now->mono_ms,
				      wake_ms))
		return false;
	return start_publish(v, e, id, dry_run, now, req);
}

static bool read_done(struct mp_dnsops_views *v, struct mp_engine *e,
		      const struct mp_dns_response *resp, const char *why,
		      const struct mp_time *now)
{
	const struct mp_config *cfg = mp_engine_config(e);
	const char *node = cfg->vantage.nodes[v->node];
	struct mp_view view;
	char err[300], rc[16];
	bool changed = false;

	mp_viewsched_read_done(&v->sched, &cfg->vantage, v->node, now->mono_ms);
	mp_view_init(&view);
	if (!resp) {
		snprintf(err, sizeof(err), "%s", why ? why : "no answer");
	} else if (resp->rcode == 3 || (resp->rcode == 0 && resp->txt.n == 0)) {
		snprintf(err, sizeof(err), "no view published (%s)",
			 resp->rcode == 3 ? "NXDOMAIN" : "no TXT records");
	} else if (resp->rcode != 0) {
		snprintf(err, sizeof(err), "the primary answered %s",
			 mp_rcode_str(resp->rcode, rc, sizeof(rc)));
	} else if (mp_view_decode(&resp->txt, &view, err, sizeof(err)) ==
		   MP_OK) {
		changed = mp_engine_node_view(e, node, &view, NULL, *now);
		mp_view_clear(&view);
		return changed;
	}
	mp_engine_node_view(e, node, NULL, err, *now);
	mp_view_clear(&view);
	return false;
}

bool mp_dnsops_views_done(struct mp_dnsops_views *v, struct mp_engine *e,
			  bool read, const struct mp_dns_response *resp,
			  const char *why, const struct mp_time *now)
{
	const struct mp_config *cfg = mp_engine_config(e);
	bool ok;
	char owner[300], rc[16], kname[300];

	if (read)
		return read_done(v, e, resp, why, now);
	ok = resp && resp->rcode == 0;
	mp_viewsched_published(&v->sched, &v->sending, v->sent_ms, ok);
	view_owner(cfg, cfg->vantage.self, owner, sizeof(owner));
	if (!ok && !v->publish_failing)
		mp_log(LOG_WARNING,
		       "vantage: publishing this node's view at %s failed: "
		       "%s; retrying every %llu ms (check that key \"%s\" may "
		       "update %s TXT)",
		       owner,
		       resp ? mp_rcode_str(resp->rcode, rc, sizeof(rc))
			    : (why ? why : "no answer"),
		       (unsigned long long)cfg->vantage.publish_interval_ms,
		       mp_name_text(mp_tsig_key_name(cfg->key), kname,
				    sizeof(kname)),
		       owner);
	else if (ok && v->publish_failing)
		mp_log(LOG_NOTICE,
		       "vantage: this node's view is published "
		       "again at %s",
		       owner);
	else if (ok)
		mp_log(LOG_DEBUG,
		       "vantage: view published at %s (%zu "
		       "addresses)",
		       owner, v->sending.n);
	v->publish_failing = !ok;
	return false;
}
