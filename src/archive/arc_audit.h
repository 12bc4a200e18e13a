/* The audit log: one JSON Lines object per run under
 * <prefix>_audit/<yyyymmddThhmmssZ>_<command>_<run id>.jsonl, every entry
 * carrying the SHA-256 of the entry before it (across runs), so any edit,
 * deletion or reordering breaks one chain. Secrets never go in. */
#ifndef ARC_AUDIT_H
#define ARC_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_error.h"
#include "core/ts_hash.h"

typedef struct arc_storage arc_storage;

/* The chain's anchor: the hash before the very first entry. */
#define ARC_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define ARC_AUDIT_MAX_LOG ((size_t)64 << 20)

typedef struct arc_audit arc_audit;

/* A run's log in memory. prev_hash: hex hash of the previous run's last
 * entry (ARC_AUDIT_GENESIS for the first run); next_seq: its seq + 1.
 * command and run_id must be [a-z0-9-]; now_ns names the object. */
ts_status arc_audit_new(const char *command, const char *run_id, int64_t now_ns,
                        const char *prev_hash, uint64_t next_seq, arc_audit **out, ts_error *err);
void arc_audit_free(arc_audit *a);

/* Appends an entry: `fields` (an object, reference stolen) plus "seq",
 * "prev", "when", "command", "run_id" and "event". Lines are compact JSON
 * with sorted keys. */
ts_status arc_audit_add(arc_audit *a, const char *event, json_t *fields, ts_error *err);
/* The JSONL text so far (owned by a). */
const char *arc_audit_text(const arc_audit *a, size_t *len);
/* "<yyyymmddThhmmssZ>_<command>_<run id>.jsonl" */
const char *arc_audit_object_name(const arc_audit *a);
const char *arc_audit_head(const arc_audit *a); /* hash of the last entry */
uint64_t arc_audit_entries(const arc_audit *a);

/* ---- checking ---- */

typedef struct arc_audit_log {
    const char *name; /* object name (no directory) */
    const char *text;
    size_t len;
} arc_audit_log;

typedef struct arc_audit_report {
    size_t runs, entries;
    char head[TS_SHA256_HEX_LEN]; /* hash of the chain's last entry */
    uint64_t next_seq;
} arc_audit_report;

/* Checks that the logs form one chain: lines are JSON objects with the
 * fields above, each "prev" is the SHA-256 of the line before it, seq counts
 * up by one, the first run starts at ARC_AUDIT_GENESIS and every other run at
 * the last entry of exactly one other run, and each object's name matches its
 * entries. TS_ERR_MISMATCH naming the object and line when broken. With no
 * logs: TS_OK, head = genesis. */
ts_status arc_audit_check(const arc_audit_log *logs, size_t n, arc_audit_report *rep,
                          ts_error *err);

/* ---- on storage ---- */

/* Reads every log under <prefix>_audit/, finds the chain's head and starts a
 * run's log linked to it. When the existing chain is broken the new run
 * still starts (linked to the newest object) and *chain_ok is false. */
ts_status arc_audit_open(arc_storage *s, const char *prefix, const char *command,
                         const char *run_id, arc_audit **out, bool *chain_ok, ts_error *err);
/* Writes (replaces) this run's object atomically with every entry so far. */
ts_status arc_audit_flush(arc_audit *a, arc_storage *s, const char *prefix, ts_error *err);
/* Reads and checks every log under <prefix>_audit/. */
ts_status arc_audit_verify(arc_storage *s, const char *prefix, arc_audit_report *rep,
                           ts_error *err);

/* 32 random lower-case hex characters (run ids, export ids, client tokens). */
ts_status arc_random_id(char out[33], ts_error *err);

#endif

typedef struct aws_config aws_config;
/* Who ran the command, without secrets: credential source, profile, region,
 * and the STS caller ARN when one quick GetCallerIdentity call answers
 * (one attempt, 5 s); never keys. Returns a new JSON object (NULL on OOM). */
json_t *arc_audit_identity(const aws_config *cfg);
