/* Where log lines go: journald with structured fields when stderr is the
 * journal (JOURNAL_STREAM) and libsystemd is built in, else stderr with
 * "<N>" priority prefixes. */
#ifndef MP_AGENT_LOGSINK_H
#define MP_AGENT_LOGSINK_H

/* Chooses the sink for this process and installs it with mp_log_set_sink.
 * Returns 1 when logging to the journal, 0 for stderr. */
int mp_logsink_setup(void);

#endif
