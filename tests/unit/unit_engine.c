#include "unit_engine.h"

#include "error.h"
#include "log.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

struct mp_config *mp_unit_config(const char *text)
{
	struct mp_config *cfg = NULL;
	struct mp_diag d;

	mp_diag_init(&d);
	if (mp_config_load(mp_unit_write_file("unit.conf", text, 0600), 0, &cfg,
			   &d) != MP_OK)
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
	mp_diag_clear(&d);
	return cfg;
}

size_t mp_unit_target(struct mp_engine *eng, const char *addr)
{
	for (size_t i = 0; i < mp_engine_n_targets(eng); i++)
		if (strcmp(mp_engine_target(eng, i)->addr.text, addr) == 0)
			return i;
	CU_FAIL_FATAL("no such target");
	return 0;
}

void mp_unit_check(struct mp_engine *eng, size_t target, bool ok, uint64_t now)
{
	struct mp_check_result r;

	memset(&r, 0, sizeof(r));
	r.ok = ok;
	snprintf(r.detail, sizeof(r.detail), ok ? "HTTP 200" : "HTTP 503");
	r.latency_ms = 12;
	r.at_ms = now;
	mp_engine_check_result(eng, target, &r, mp_unit_at(now));
}

void mp_unit_engine_free(struct mp_engine **eng, struct mp_config **cfg)
{
	mp_engine_free(*eng);
	mp_config_free(*cfg);
	*eng = NULL;
	*cfg = NULL;
	mp_log_set_sink(NULL, NULL);
}
