/* `tsarchive cleanup`: the inventory of what a retired Timestream stack left
 * behind (Lambda, IAM, CloudWatch Logs and alarms, Timestream), an ordered
 * plan of deletions, its application with pacing and error aggregation, and
 * the archive interlock that keeps any table whose data is not provably
 * archived. The library never prints: the CLI renders the plan. */
#ifndef ARC_CLEANUP_H
#define ARC_CLEANUP_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_error.h"

typedef struct aws_config aws_config;
typedef struct aws_client aws_client;
typedef struct arc_storage arc_storage;

/* Kinds in deletion order (the enum order IS the order of the plan). */
typedef enum arc_cl_kind {
    ARC_CL_EVENT_SOURCE_MAPPING,
    ARC_CL_FUNCTION,         /* with its aliases and versions (DeleteFunction removes them) */
    ARC_CL_LAYER_VERSION,
    ARC_CL_LOG_GROUP,
    ARC_CL_ALARM,
    ARC_CL_ROLE_POLICY,      /* inline policy of a role: deleted */
    ARC_CL_POLICY_ATTACHMENT,/* managed policy attached to a role: detached */
    ARC_CL_POLICY,           /* customer-managed policy (all versions): deleted */
    ARC_CL_INSTANCE_PROFILE, /* deleted, or (shared) the role removed from it */
    ARC_CL_ROLE,
    ARC_CL_SCHEDULED_QUERY,
    ARC_CL_TABLE,
    ARC_CL_DATABASE,
    ARC_CL_KIND_COUNT
} arc_cl_kind;

/* "event-source-mapping", "function", ... (also the --match KIND names). */
const char *arc_cl_kind_name(arc_cl_kind k);
bool arc_cl_kind_parse(const char *s, arc_cl_kind *out);

typedef enum arc_cl_action {
    ARC_CL_DELETE,
    ARC_CL_DETACH, /* only the link to what is deleted goes (shared policy, instance profile) */
    ARC_CL_KEEP    /* matches, but kept: reason says why */
} arc_cl_action;
const char *arc_cl_action_name(arc_cl_action a);

/* Why something matching is kept. */
typedef enum arc_cl_keep {
    ARC_CL_KEEP_NONE,
    ARC_CL_KEEP_DEPENDENCY, /* something that stays uses it (layer, policy) */
    ARC_CL_KEEP_INTERLOCK   /* data not provably archived (table, its database) */
} arc_cl_keep;

typedef enum arc_cl_outcome {
    ARC_CL_PLANNED,      /* dry run / not reached */
    ARC_CL_DONE,         /* deleted / detached */
    ARC_CL_ALREADY_GONE, /* NotFound at delete time: counts as done */
    ARC_CL_KEPT,
    ARC_CL_FAILED
} arc_cl_outcome;
const char *arc_cl_outcome_name(arc_cl_outcome o);

typedef struct arc_cl_item {
    arc_cl_kind kind;
    arc_cl_action action;
    arc_cl_keep keep;
    char *name;    /* function name, "db.table", log group, policy name, mapping UUID... */
    char *arn;     /* may be NULL where the service gives none (Timestream from the emulator) */
    char *parent;  /* function of a mapping, role of a policy, database of a table, or NULL */
    char *reason;  /* why it is in the plan / why kept */
    json_t *held;  /* what it held: table records/time range/archive files; may be NULL */
    /* kind-specific handles the apply step needs (layer name + version, policy ARN...) */
    char *aux;
    int64_t aux_num;
    arc_cl_outcome outcome;
    int64_t when_ns;      /* of the outcome */
    char *error;          /* "Service Op: Code: message" when FAILED */
    char *error_code;     /* the service's code (sanitised) */
    char *denied_action;  /* "iam:DeleteRole" when the failure is a denial */
} arc_cl_item;

/* Name rules: the defaults from project and environment, each replaceable
 * by --match KIND=GLOB (several globs of one kind: any of them). */
typedef struct arc_cl_match {
    arc_cl_kind kind;
    const char *glob;
} arc_cl_match;

/* Published per-service rates (requests per second) for mutating calls. */
typedef enum arc_cl_service {
    ARC_CL_SVC_LAMBDA,
    ARC_CL_SVC_IAM,
    ARC_CL_SVC_LOGS,
    ARC_CL_SVC_CLOUDWATCH,
    ARC_CL_SVC_TIMESTREAM,
    ARC_CL_SVC_COUNT
} arc_cl_service;
const char *arc_cl_service_name(arc_cl_service s);
bool arc_cl_service_parse(const char *s, arc_cl_service *out);
double arc_cl_default_rate(arc_cl_service s);

typedef enum arc_cl_mode {
    ARC_CL_MODE_DRY_RUN,
    ARC_CL_MODE_APPLY,
    ARC_CL_MODE_CHECK
} arc_cl_mode;

/* A deliberately deleted unarchived table (--force-unarchived DB.TABLE). */
typedef struct arc_cl_opts {
    const char *project, *environment; /* the guide's naming */
    const arc_cl_match *matches;
    size_t nmatches;
    arc_cl_mode mode;
    const char *archive_root;     /* --archive ROOT or NULL */
    const char *archive_prefix;   /* "timestream-archive/" */
    arc_storage *archive;         /* open storage of archive_root (borrowed) or NULL */
    const aws_config *aws;        /* borrowed */
    aws_client *client;           /* borrowed */
    const char *const *force_unarchived; /* "db.table" */
    size_t nforce;
    double rate[ARC_CL_SVC_COUNT]; /* requests/s; 0 = default */
    int verify_jobs;
    volatile sig_atomic_t *cancel;
    /* progress lines ("deleting function x") for the front end; may be NULL */
    void (*progress)(void *user, const arc_cl_item *it);
    void *user;
} arc_cl_opts;

typedef struct arc_cl_plan {
    arc_cl_item *items;
    size_t n, cap;
    /* summary */
    size_t deleted, already_gone, kept, failed, interlock_kept, planned;
    json_t *forced; /* array of "db.table" deliberately deleted unarchived */
} arc_cl_plan;

void arc_cl_plan_init(arc_cl_plan *p);
void arc_cl_plan_free(arc_cl_plan *p);
/* Adds an item (strings copied; held stolen, may be NULL). *out may be NULL. */
ts_status arc_cl_plan_add(arc_cl_plan *p, arc_cl_kind kind, arc_cl_action action,
                          const char *name, const char *arn, const char *parent,
                          const char *reason, json_t *held, arc_cl_item **out, ts_error *err);
/* Stable sort into deletion order (kind order, then the order found). */
void arc_cl_plan_sort(arc_cl_plan *p);
void arc_cl_item_keep(arc_cl_item *it, arc_cl_keep why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
arc_cl_item *arc_cl_plan_find(arc_cl_plan *p, arc_cl_kind kind, const char *name);

/* The item as JSON (new reference). */
json_t *arc_cl_item_json(const arc_cl_item *it);

/* Inventory: lists every service and fills the plan (sorted), applying the
 * dependency rules. In dry-run and apply modes with tables in the plan, the
 * interlock's archive verification runs here (once) so the plan already
 * shows which tables would be kept. Returns an error only when a listing
 * failed (nothing can be planned safely then). */
ts_status arc_cl_inventory(const arc_cl_opts *o, arc_cl_plan *p, ts_error *err);

/* Application: every DELETE/DETACH item in order, paced, idempotent, one
 * failure never stops the rest (outcomes in the items). Tables are checked
 * against the archive right before DeleteTable. `audit_cb` is called after
 * each item's outcome is known (for the audit entry). Returns TS_OK unless
 * cancelled. */
ts_status arc_cl_apply(const arc_cl_opts *o, arc_cl_plan *p,
                       void (*audit_cb)(void *user, const arc_cl_item *it), void *audit_user,
                       ts_error *err);

/* Counts of the plan (recomputed from the items). */
void arc_cl_plan_summarise(arc_cl_plan *p);

/* --check: the items still matching that are not kept for a dependency. */
size_t arc_cl_remaining(const arc_cl_plan *p);

/* Default-rule helpers (exposed for unit tests). `name` contains `word` as
 * a token bounded by non-alphanumerics or the ends. */
bool arc_cl_has_token(const char *name, const char *word);
/* Whether `name` of `kind` matches (user globs when any, else `dflt`). */
bool arc_cl_name_matches(const arc_cl_opts *o, arc_cl_kind kind, const char *name, bool dflt);
bool arc_cl_has_match(const arc_cl_opts *o, arc_cl_kind kind);

#endif
