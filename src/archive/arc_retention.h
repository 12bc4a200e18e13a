/* Retention of an archive (the guide's compliance section): what the bucket
 * and every archive object promise — versioning, Object Lock, lifecycle
 * rules — judged against "keep N years", the changes that make the policy
 * hold (never shortening a lock or a rule), and the retirement of an archive
 * bucket once nothing in it is held any more. */
#ifndef ARC_RETENTION_H
#define ARC_RETENTION_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_error.h"
#include "core/ts_time.h"

typedef struct aws_client aws_client;
typedef struct arc_storage arc_storage;
typedef struct arc_audit arc_audit;

#define ARC_RET_DEFAULT_YEARS 7
#define ARC_RET_MAX_YEARS 100
#define ARC_RET_DEFAULT_CLASS "GLACIER_IR"
#define ARC_RET_DEFAULT_TRANSITION_DAYS 90
/* Lifecycle rules that tsarchive writes have IDs starting with this; it only
 * ever edits those, other rules are kept byte for byte in meaning. */
#define ARC_RET_RULE_ID_PREFIX "tsarchive-retention"

/* ---- small helpers shared with export and verify ---- */

/* "7", "7y", "7Y" → 7 (1..ARC_RET_MAX_YEARS). false on anything else. */
bool arc_retention_parse_years(const char *s, int *years);
/* "governance"/"GOVERNANCE" → "GOVERNANCE", same for compliance; NULL when
 * neither. The returned string is static. */
const char *arc_retention_lock_mode(const char *s);
/* Whether name is an S3 storage class a lifecycle rule may transition to:
 * STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER,
 * DEEP_ARCHIVE (exact, upper case). */
bool arc_retention_class_ok(const char *name);
/* The smallest transition age S3 accepts for a class (30 for the *_IA
 * classes, else 0). */
int arc_retention_class_min_days(const char *name);

/* The date an object exported at export_ns must be kept until: the same UTC
 * calendar date and time `years` later (29 February → 1 March), rounded up
 * to the whole second because S3 keeps retain-until dates in seconds. iso
 * (may be NULL) receives "YYYY-MM-DDTHH:MM:SSZ" as S3 takes it. false when
 * the date does not fit. Export (--retain) and the assessment both use this,
 * so "locked until the right date" is an exact comparison. */
bool arc_retention_until(int64_t export_ns, int years, int64_t *until_ns,
                         char iso[TS_TIME_STR_MAX]);

/* ---- the assessment ---- */

typedef enum arc_ret_verdict {
    ARC_RET_HOLDS,         /* proven from the bucket's settings and the objects' locks */
    ARC_RET_DOES_NOT_HOLD, /* not now; `retention --apply` (or the hint in `why`) can fix it */
    ARC_RET_CANNOT_HOLD    /* this storage cannot give it (a local directory; a bucket
                              without Object Lock for the lock rule; settings unreadable) */
} arc_ret_verdict;

/* "holds", "does_not_hold", "cannot_hold" */
const char *arc_ret_verdict_name(arc_ret_verdict v);

typedef enum arc_ret_storage_kind { ARC_RET_LOCAL, ARC_RET_S3 } arc_ret_storage_kind;

/* The rules of the policy, in the order they are reported. */
typedef enum arc_ret_rule_id {
    ARC_RET_RULE_VERSIONING,    /* bucket versioning Enabled */
    ARC_RET_RULE_TRANSITION,    /* an enabled lifecycle rule moves every archive object to a
                                   colder storage class */
    ARC_RET_RULE_NO_EXPIRATION, /* no enabled lifecycle rule touching the prefix expires
                                   current or noncurrent versions before the period */
    ARC_RET_RULE_OBJECT_LOCK,   /* every archive object locked (or on legal hold) until its
                                   export time + the period */
    ARC_RET_RULE_COUNT
} arc_ret_rule_id;

/* "versioning", "lifecycle-transition", "no-early-expiration", "object-lock" */
const char *arc_ret_rule_name(arc_ret_rule_id id);

typedef struct arc_ret_rule {
    arc_ret_rule_id id;
    arc_ret_verdict verdict;
    bool required; /* counts toward the overall verdict (the lock rule does only where the
                      bucket has Object Lock, as DESIGN.md's policy says) */
    bool fixable;  /* --apply can make it hold */
    char why[768]; /* one or two sentences: what was found, and what to do */
} arc_ret_rule;

/* One transition of a lifecycle rule. */
typedef struct arc_ret_transition {
    bool noncurrent;        /* NoncurrentVersionTransition (days = NoncurrentDays) */
    long days;              /* -1 when the rule gives a Date */
    char date[40];          /* "" unless by date */
    char storage_class[32];
} arc_ret_transition;

/* A lifecycle rule that touches the archive prefix. */
typedef struct arc_ret_lc_rule {
    char *id;                 /* "" when the rule has none */
    bool enabled;             /* Status Enabled */
    char *filter_prefix;      /* "" = the whole bucket */
    bool other_filter;        /* tags or object-size conditions: applies to some objects only */
    bool covers_all;          /* applies to every archive object (prefix contains ours, no
                                 other condition) */
    bool ours;                /* id starts with ARC_RET_RULE_ID_PREFIX */
    size_t ntransitions;
    arc_ret_transition *transitions;
    long expiration_days;     /* Expiration Days, -1 none */
    char expiration_date[40]; /* Expiration Date or "" */
    long noncurrent_expiration_days; /* NoncurrentVersionExpiration NoncurrentDays, -1 none */
    long abort_multipart_days;       /* AbortIncompleteMultipartUpload, -1 none */
} arc_ret_lc_rule;

/* One archive object (a manifest or a data file a manifest lists). */
typedef struct arc_ret_object {
    char *key;              /* relative to the storage root: "timestream-archive/db/..." */
    char *database;
    bool manifest;          /* export_metadata.json itself */
    bool present;           /* false: listed by the manifest but absent (verify reports it) */
    uint64_t size;
    char storage_class[32]; /* "STANDARD" when S3 does not say */
    char version_id[128];
    char lock_mode[24];     /* "GOVERNANCE", "COMPLIANCE" or "" */
    char lock_until[40];    /* as S3 gives it, or "" */
    int64_t lock_until_ns;  /* 0 when not locked */
    bool legal_hold;        /* x-amz-object-lock-legal-hold: ON */
    int64_t export_ns;      /* the manifest's started_at */
    int64_t required_ns;    /* arc_retention_until(export_ns, years) */
    bool held;              /* cannot be deleted or overwritten before required_ns */
} arc_ret_object;

typedef struct arc_retention {
    arc_ret_storage_kind kind;
    char *root;             /* as given (for messages) */
    char *bucket;           /* S3 only */
    char *key_prefix;       /* the archive prefix inside the bucket ("pre/timestream-archive/") */
    char *prefix;           /* the archive prefix relative to the root ("timestream-archive/") */
    int years;
    int64_t assessed_at;    /* ns */

    /* bucket settings (S3) */
    char versioning[16];    /* "Enabled", "Suspended", or "" (never enabled) */
    bool mfa_delete;
    bool lock_enabled;      /* ObjectLockEnabled */
    char default_mode[16];  /* default retention mode or "" */
    long default_days;      /* default retention in days, -1 none */
    long default_years;     /* default retention in years, -1 none */
    bool lifecycle_present; /* the bucket has a lifecycle configuration */
    char *lifecycle_xml;    /* the whole configuration as read (NULL when none): --apply merges
                               into it, keeping every other rule */
    size_t nlc;
    arc_ret_lc_rule *lc;    /* rules touching the prefix, in the bucket's order */
    size_t lc_other;        /* rules for other prefixes (kept, not judged) */
    char unreadable[512];   /* settings that could not be read (AccessDenied ...), or "" */

    /* archive objects */
    size_t nobjects;
    arc_ret_object *objects; /* sorted by key */
    size_t databases;       /* manifests found */
    size_t objects_held, objects_exposed; /* held / not held (present objects) */
    size_t other_objects;   /* objects under the prefix that are not judged (_audit/, state) */
    int64_t latest_until_ns;/* the latest lock date of any archive object (0 none) */

    arc_ret_rule rules[ARC_RET_RULE_COUNT];
    arc_ret_verdict verdict; /* HOLDS when every required rule holds; CANNOT_HOLD for a local
                                directory or unreadable settings; else DOES_NOT_HOLD */
} arc_retention;

typedef struct arc_retention_opts {
    const char *prefix;  /* archive prefix inside the root; NULL = "timestream-archive/" */
    int years;           /* the period; 0 = ARC_RET_DEFAULT_YEARS */
    int64_t now_ns;      /* 0 = the clock (tests pin it) */
    volatile sig_atomic_t *cancel;
} arc_retention_opts;

void arc_retention_init(arc_retention *r);
void arc_retention_free(arc_retention *r);

/* Reads the retention state of the archive under `storage` (borrowed;
 * directory or S3). aws: the client the storage uses (NULL for a directory).
 * For S3: GetBucketVersioning, GetObjectLockConfiguration,
 * GetBucketLifecycleConfiguration, every manifest under the prefix, and a
 * HEAD per archive object (lock mode, retain-until, legal hold, storage
 * class). For a directory: the manifests and objects, every rule
 * CANNOT_HOLD ("not enforceable (local directory)"), never holding.
 * r is inited by this call. A setting the identity may not read
 * (AccessDenied) makes its rule CANNOT_HOLD with the missing permission
 * named, not a failure. Returns an error only when the archive could not be
 * read at all (TS_ERR_NOT_FOUND no archive / bucket, _NETWORK, _AUTH,
 * _REMOTE, _CANCELLED); r is then partly filled and must still be freed. */
ts_status arc_retention_assess(arc_storage *storage, aws_client *aws,
                               const arc_retention_opts *o, arc_retention *r, ts_error *err);

/* Archive objects that could be deleted or overwritten before their time:
 * every present object that is not held (all of them for a directory). */
size_t arc_retention_exposed(const arc_retention *r);

/* The assessment as one JSON object (new reference; NULL on OOM):
 * {"root","storage":"s3"|"local","bucket","prefix","key_prefix","years",
 *  "assessed_at","verdict","enforceable",
 *  "bucket_settings":{"versioning","mfa_delete","object_lock":{"enabled",
 *    "default_mode","default_days","default_years"},"lifecycle_configuration",
 *    "lifecycle_rules":[{"id","enabled","prefix","other_filter","covers_all",
 *    "ours","transitions":[{"noncurrent","days","date","storage_class"}],
 *    "expiration_days","expiration_date","noncurrent_expiration_days",
 *    "abort_multipart_days"}],"other_lifecycle_rules"}   (S3 only),
 *  "rules":[{"rule","verdict","required","fixable","why"}],
 *  "objects":[{"key","database","manifest","present","size","storage_class",
 *    "version_id","lock_mode","lock_until","legal_hold","export_time",
 *    "required_until","held"}]   (only with_objects),
 *  "databases","objects_total","objects_held","objects_exposed",
 *  "other_objects","latest_lock_until","unreadable"}.
 * Verdicts as arc_ret_verdict_name; export_time and assessed_at RFC 3339
 * with 9 digits, lock and required dates to the second; absent values null. */
json_t *arc_retention_to_json(const arc_retention *r, bool with_objects);

/* ---- making it hold ---- */

typedef enum arc_ret_change_kind {
    ARC_RET_CH_VERSIONING, /* PutBucketVersioning Enabled */
    ARC_RET_CH_LIFECYCLE,  /* PutBucketLifecycleConfiguration (merged document) */
    ARC_RET_CH_LOCK        /* PutObjectRetention on one object */
} arc_ret_change_kind;

typedef struct arc_ret_change {
    arc_ret_change_kind kind;
    char *key;        /* object key relative to the root (locks), else NULL */
    char *what;       /* one line a person reads before it happens */
    char *mode;       /* locks: the mode set */
    char *until;      /* locks: the ISO date set */
    bool done;        /* made by arc_retention_apply */
} arc_ret_change;

typedef struct arc_ret_apply_opts {
    const char *storage_class; /* NULL = ARC_RET_DEFAULT_CLASS; must pass arc_retention_class_ok */
    int transition_days;       /* < 0 = ARC_RET_DEFAULT_TRANSITION_DAYS */
    const char *lock_mode;     /* "GOVERNANCE" (NULL) or "COMPLIANCE" */
} arc_ret_apply_opts;

typedef struct arc_ret_plan {
    arc_ret_change *changes;
    size_t nchanges;
    char *lifecycle_xml;  /* the document PutBucketLifecycleConfiguration sends, or NULL */
    char **notes;         /* what --apply cannot change (another rule's early expiration,
                             no Object Lock on the bucket, a local directory): sentences */
    size_t nnotes;
} arc_ret_plan;

void arc_ret_plan_free(arc_ret_plan *p);

/* What --apply would change, from an assessment: versioning on when it is
 * not; a rule ARC_RET_RULE_ID_PREFIX:<key prefix> transitioning current and
 * noncurrent versions to the class after the days (and aborting incomplete
 * multipart uploads after 7 days), merged with the existing rules (rules of
 * other prefixes kept; none shortened; nothing added when an enabled rule
 * already moves every archive object to a colder class); where the bucket
 * has Object Lock, a lock until required_ns on each archive object not held
 * that long (an existing later date, or COMPLIANCE, is never lowered).
 * An empty plan means nothing to change. TS_ERR_USAGE for a bad class, days
 * or mode. */
ts_status arc_retention_plan(const arc_retention *r, const arc_ret_apply_opts *o,
                             arc_ret_plan *plan, ts_error *err);

/* Makes the plan's changes in order through aws (the storage's client),
 * calling before(user, change) just before each one (to print it and log it).
 * Stops at the first failure (that change stays !done) and returns it. */
ts_status arc_retention_apply(aws_client *aws, const arc_retention *r, arc_ret_plan *plan,
                              void (*before)(void *user, const arc_ret_change *c), void *user,
                              ts_error *err);

/* ---- retiring an archive bucket (the guide's step 6.1) ---- */

/* One object version or delete marker of the bucket. */
typedef struct arc_retire_version {
    char *key;
    char *version_id;
    bool delete_marker;
    uint64_t size;
    char lock_mode[24];
    char lock_until[40];
    int64_t lock_until_ns; /* 0 none */
    bool legal_hold;
} arc_retire_version;

typedef struct arc_retire_opts {
    const char *bucket;          /* the archive bucket to remove */
    int64_t now_ns;              /* 0 = clock */
    bool dry_run;                /* assess and list only; nothing written or deleted */
    /* the audit log: entries are added to `audit` (the caller's run log) and
     * flushed to audit_storage/audit_prefix BEFORE anything is deleted, and
     * again at the end. audit_storage must not be inside `bucket`. Required
     * unless dry_run. */
    arc_audit *audit;
    arc_storage *audit_storage;
    const char *audit_prefix;    /* as for arc_audit_flush ("timestream-archive/") */
    size_t max_listed;           /* held versions kept in the result; 0 = 20 */
    volatile sig_atomic_t *cancel;
    /* after each deletion (may be NULL) */
    void (*progress)(void *user, size_t done, size_t total);
    void *user;
} arc_retire_opts;

typedef struct arc_retire_result {
    size_t versions, delete_markers;
    uint64_t bytes;
    size_t held;                 /* versions within retention or on legal hold */
    arc_retire_version *held_v;  /* the first max_listed of them, in listing order */
    size_t nheld_v;
    int64_t may_go_ns;           /* latest retain-until among held versions (0 none) */
    bool legal_hold;             /* some version is on legal hold (no date ends it) */
    size_t deleted;              /* versions + markers deleted */
    bool bucket_deleted;
} arc_retire_result;

void arc_retire_result_free(arc_retire_result *r);

/* Removes the bucket once nothing in it is held: lists every version and
 * delete marker (ListObjectVersions), reads each version's lock (HEAD with
 * versionId). When any version is locked until after now or on legal hold:
 * TS_ERR_REFUSED, with the message naming how many, the first ones and the
 * date the bucket may go (latest retain-until), nothing written or deleted.
 * Otherwise (unless dry_run) writes the audit log first (the plan: counts,
 * bytes, every key+version), then deletes every version and delete marker
 * (never with the governance bypass) and the bucket, and logs the outcome.
 * TS_ERR_USAGE when the audit log would go into the bucket itself. */
ts_status arc_bucket_retire(aws_client *aws, const arc_retire_opts *o, arc_retire_result *res,
                            ts_error *err);

#endif
