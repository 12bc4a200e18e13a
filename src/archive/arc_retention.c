/* Retention assessment of an archive: bucket versioning, Object Lock and
 * lifecycle rules read from S3, every archive object's lock read by HEAD,
 * each rule of the policy judged (holds / does not hold / cannot hold), the
 * plan of changes --apply makes, and the JSON form. Bucket retirement is in
 * arc_retention_retire.c. */
#include "archive/arc_retention.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "archive/arc_layout.h"
#include "archive/arc_manifest.h"
#include "archive/arc_storage.h"
#include "aws/aws_s3.h"
#include "aws/aws_xml.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"

/* ---- small helpers ---- */

bool arc_retention_parse_years(const char *s, int *years)
{
    if (!s || !*s) return false;
    long v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > ARC_RET_MAX_YEARS) return false;
    }
    if (p == s) return false;
    if ((*p == 'y' || *p == 'Y') && p[1] == '\0') p++;
    if (*p || v < 1) return false;
    *years = (int)v;
    return true;
}

const char *arc_retention_lock_mode(const char *s)
{
    if (!s) return NULL;
    if (strcasecmp(s, "governance") == 0) return "GOVERNANCE";
    if (strcasecmp(s, "compliance") == 0) return "COMPLIANCE";
    return NULL;
}

static const char *const classes[] = {"STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
                                      "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"};

bool arc_retention_class_ok(const char *name)
{
    if (!name) return false;
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (strcmp(name, classes[i]) == 0) return true;
    return false;
}

int arc_retention_class_min_days(const char *name)
{
    return name && (strcmp(name, "STANDARD_IA") == 0 || strcmp(name, "ONEZONE_IA") == 0) ? 30 : 0;
}

bool arc_retention_until(int64_t export_ns, int years, int64_t *until_ns,
                         char iso[TS_TIME_STR_MAX])
{
    if (years < 0 || years > ARC_RET_MAX_YEARS) return false;
    ts_tm tm;
    ts_time_split(export_ns, &tm);
    if (tm.nsec) {
        /* round up to the whole second: never a moment short */
        tm.nsec = 0;
        int64_t s;
        if (!ts_time_join(&tm, &s) || s > INT64_MAX - TS_NS_PER_SEC) return false;
        ts_time_split(s + TS_NS_PER_SEC, &tm);
    }
    tm.year += years;
    if (tm.month == 2 && tm.day == 29 && arc_days_in_month(tm.year, 2) == 28) {
        tm.month = 3;
        tm.day = 1;
    }
    int64_t ns;
    if (!ts_time_join(&tm, &ns)) return false;
    *until_ns = ns;
    if (iso)
        snprintf(iso, TS_TIME_STR_MAX, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)tm.year,
                 tm.month, tm.day, tm.hour, tm.min, tm.sec);
    return true;
}

/* Lifecycle days that keep an object for `years` whatever the start date:
 * 365 per year plus every leap day the period can include. */
static long period_days(int years) { return 365L * years + (years + 3) / 4; }

const char *arc_ret_verdict_name(arc_ret_verdict v)
{
    switch (v) {
    case ARC_RET_HOLDS: return "holds";
    case ARC_RET_DOES_NOT_HOLD: return "does_not_hold";
    case ARC_RET_CANNOT_HOLD: return "cannot_hold";
    }
    return "?";
}

const char *arc_ret_rule_name(arc_ret_rule_id id)
{
    switch (id) {
    case ARC_RET_RULE_VERSIONING: return "versioning";
    case ARC_RET_RULE_TRANSITION: return "lifecycle-transition";
    case ARC_RET_RULE_NO_EXPIRATION: return "no-early-expiration";
    case ARC_RET_RULE_OBJECT_LOCK: return "object-lock";
    case ARC_RET_RULE_COUNT: break;
    }
    return "?";
}

void arc_retention_init(arc_retention *r)
{
    memset(r, 0, sizeof *r);
    r->default_days = r->default_years = -1;
    for (int i = 0; i < ARC_RET_RULE_COUNT; i++) {
        r->rules[i].id = (arc_ret_rule_id)i;
        r->rules[i].required = true;
        r->rules[i].verdict = ARC_RET_CANNOT_HOLD;
    }
    r->verdict = ARC_RET_CANNOT_HOLD;
}

static void lc_rule_free(arc_ret_lc_rule *l)
{
    ts_free(l->id);
    ts_free(l->filter_prefix);
    ts_free(l->transitions);
}

void arc_retention_free(arc_retention *r)
{
    if (!r) return;
    ts_free(r->root);
    ts_free(r->bucket);
    ts_free(r->key_prefix);
    ts_free(r->prefix);
    ts_free(r->lifecycle_xml);
    for (size_t i = 0; i < r->nlc; i++) lc_rule_free(&r->lc[i]);
    ts_free(r->lc);
    for (size_t i = 0; i < r->nobjects; i++) {
        ts_free(r->objects[i].key);
        ts_free(r->objects[i].database);
    }
    ts_free(r->objects);
    memset(r, 0, sizeof *r);
}

size_t arc_retention_exposed(const arc_retention *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nobjects; i++)
        if (r->objects[i].present && !r->objects[i].held) n++;
    return n;
}

static void why(arc_ret_rule *ru, arc_ret_verdict v, bool fixable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void why(arc_ret_rule *ru, arc_ret_verdict v, bool fixable, const char *fmt, ...)
{
    ru->verdict = v;
    ru->fixable = fixable;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ru->why, sizeof ru->why, fmt, ap);
    va_end(ap);
}

static void fmt_date(int64_t ns, char out[TS_TIME_STR_MAX])
{
    ts_tm tm;
    ts_time_split(ns, &tm);
    snprintf(out, TS_TIME_STR_MAX, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)tm.year,
             tm.month, tm.day, tm.hour, tm.min, tm.sec);
}

/* ---- the archive's objects ---- */

typedef struct key_list {
    char **keys;
    size_t n, cap;
} key_list;

static ts_status collect(void *user, const char *rel_key, uint64_t size, ts_error *err)
{
    key_list *kl = user;
    if (kl->n == kl->cap) {
        size_t nc = kl->cap ? kl->cap * 2 : 64;
        char **nk = ts_realloc(kl->keys, nc * sizeof *nk);
        if (!nk) return ts_err_set(err, TS_ERR_NOMEM, "out of memory listing the archive");
        kl->keys = nk;
        kl->cap = nc;
    }
    if (!(kl->keys[kl->n] = ts_strdup(rel_key)))
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory listing the archive");
    (void)size;
    kl->n++;
    return TS_OK;
}

static void key_list_free(key_list *kl)
{
    for (size_t i = 0; i < kl->n; i++) ts_free(kl->keys[i]);
    ts_free(kl->keys);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static ssize_t key_find(const key_list *kl, const char *key)
{
    char *const *hit = bsearch(&key, kl->keys, kl->n, sizeof *kl->keys, cmp_str_ptr);
    return hit ? hit - kl->keys : -1;
}

static ts_status add_object(arc_retention *r, const char *key, const char *db, bool manifest,
                            int64_t export_ns, ts_error *err)
{
    if ((r->nobjects & (r->nobjects - 1)) == 0) { /* capacity: the next power of two */
        size_t nc = r->nobjects ? r->nobjects * 2 : 1;
        arc_ret_object *no = ts_realloc(r->objects, nc * sizeof *no);
        if (!no) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        r->objects = no;
    }
    arc_ret_object *o = &r->objects[r->nobjects];
    memset(o, 0, sizeof *o);
    o->key = ts_strdup(key);
    o->database = ts_strdup(db);
    if (!o->key || !o->database) {
        ts_free(o->key);
        ts_free(o->database);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    r->nobjects++;
    o->manifest = manifest;
    o->export_ns = export_ns;
    if (!arc_retention_until(export_ns, r->years, &o->required_ns, NULL))
        o->required_ns = INT64_MAX;
    return TS_OK;
}

static int cmp_object(const void *a, const void *b)
{
    return strcmp(((const arc_ret_object *)a)->key, ((const arc_ret_object *)b)->key);
}

/* Reads one database's manifest and adds it and its files. A manifest that
 * does not parse is judged itself, with the assessment time as its export
 * time (verify names what is wrong with it). */
static ts_status add_database(arc_storage *s, arc_retention *r, const char *mkey, const char *db,
                              ts_error *err)
{
    ts_buf b;
    ts_buf_init(&b, TS_MAX_MANIFEST);
    ts_status st = arc_storage_read_all(s, mkey, &b, TS_MAX_MANIFEST, err);
    if (st != TS_OK) {
        ts_buf_free(&b);
        return st;
    }
    arc_manifest m;
    ts_error pe;
    ts_err_clear(&pe);
    bool parsed = arc_manifest_parse(b.data ? (const char *)b.data : "", b.len, &m, &pe) == TS_OK;
    ts_buf_free(&b);
    int64_t export_ns = parsed ? m.started_at : r->assessed_at;
    st = add_object(r, mkey, db, true, export_ns, err);
    for (size_t t = 0; parsed && st == TS_OK && t < m.ntables; t++)
        for (size_t f = 0; st == TS_OK && f < m.tables[t].nfiles; f++) {
            char key[ARC_PATH_MAX * 2];
            snprintf(key, sizeof key, "%s%s/%s", r->prefix, db, m.tables[t].files[f].path);
            st = add_object(r, key, db, false, export_ns, err);
        }
    if (parsed) arc_manifest_free(&m);
    r->databases++;
    return st;
}

/* ---- S3 settings ---- */

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static long num(const char *s) { return s && *s ? strtol(s, NULL, 10) : -1; }

/* Reads one lifecycle Rule element; *keep false when it does not touch the
 * archive prefix. */
static ts_status lc_rule_read(const aws_xml_node *n, const char *key_prefix, arc_ret_lc_rule *l,
                              bool *keep, ts_error *err)
{
    memset(l, 0, sizeof *l);
    l->expiration_days = l->noncurrent_expiration_days = l->abort_multipart_days = -1;
    const char *id = aws_xml_child_text(n, "ID");
    const char *status = aws_xml_child_text(n, "Status");
    l->enabled = status && strcmp(status, "Enabled") == 0;
    const char *prefix = aws_xml_child_text(n, "Prefix"); /* the old form */
    const aws_xml_node *f = aws_xml_child(n, "Filter");
    if (f) {
        const aws_xml_node *and = aws_xml_child(f, "And");
        const aws_xml_node *scope = and ? and : f;
        for (const aws_xml_node *c = scope->first; c; c = c->next) {
            if (strcmp(c->name, "Prefix") == 0) prefix = c->text;
            else l->other_filter = true; /* Tag, ObjectSizeGreaterThan/LessThan */
        }
    }
    if (!prefix) prefix = "";
    l->id = ts_strdup(id ? id : "");
    l->filter_prefix = ts_strdup(prefix);
    if (!l->id || !l->filter_prefix) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    l->ours = has_prefix(l->id, ARC_RET_RULE_ID_PREFIX);
    bool covers = has_prefix(key_prefix, prefix);
    *keep = covers || has_prefix(prefix, key_prefix);
    l->covers_all = covers && !l->other_filter;
    for (const aws_xml_node *c = n->first; c; c = c->next) {
        bool cur = strcmp(c->name, "Transition") == 0;
        bool nonc = strcmp(c->name, "NoncurrentVersionTransition") == 0;
        if (cur || nonc) {
            arc_ret_transition *nt =
                ts_realloc(l->transitions, (l->ntransitions + 1) * sizeof *nt);
            if (!nt) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            l->transitions = nt;
            arc_ret_transition *t = &nt[l->ntransitions++];
            memset(t, 0, sizeof *t);
            t->noncurrent = nonc;
            t->days = num(aws_xml_child_text(c, nonc ? "NoncurrentDays" : "Days"));
            snprintf(t->date, sizeof t->date, "%s",
                     aws_xml_child_text(c, "Date") ? aws_xml_child_text(c, "Date") : "");
            snprintf(t->storage_class, sizeof t->storage_class, "%s",
                     aws_xml_child_text(c, "StorageClass") ? aws_xml_child_text(c, "StorageClass")
                                                           : "");
        } else if (strcmp(c->name, "Expiration") == 0) {
            l->expiration_days = num(aws_xml_child_text(c, "Days"));
            const char *d = aws_xml_child_text(c, "Date");
            snprintf(l->expiration_date, sizeof l->expiration_date, "%s", d ? d : "");
        } else if (strcmp(c->name, "NoncurrentVersionExpiration") == 0) {
            l->noncurrent_expiration_days = num(aws_xml_child_text(c, "NoncurrentDays"));
        } else if (strcmp(c->name, "AbortIncompleteMultipartUpload") == 0) {
            l->abort_multipart_days = num(aws_xml_child_text(c, "DaysAfterInitiation"));
        }
    }
    return TS_OK;
}

static ts_status read_lifecycle(aws_client *aws, arc_retention *r, ts_error *err)
{
    TS_TRY(s3_get_bucket_lifecycle(aws, r->bucket, &r->lifecycle_xml, err));
    r->lifecycle_present = r->lifecycle_xml != NULL;
    if (!r->lifecycle_xml) return TS_OK;
    aws_xml_node *root = NULL;
    ts_status st = aws_xml_parse(r->lifecycle_xml, strlen(r->lifecycle_xml), &root, err);
    if (st != TS_OK) {
        ts_err_context(err, "s3://%s: lifecycle configuration", r->bucket);
        return st;
    }
    for (aws_xml_node *n = root->first; n && st == TS_OK; n = n->next) {
        if (strcmp(n->name, "Rule") != 0) continue;
        arc_ret_lc_rule l;
        bool keep = false;
        st = lc_rule_read(n, r->key_prefix, &l, &keep, err);
        if (st == TS_OK && keep) {
            arc_ret_lc_rule *nl = ts_realloc(r->lc, (r->nlc + 1) * sizeof *nl);
            if (!nl) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            else {
                r->lc = nl;
                r->lc[r->nlc++] = l;
                continue;
            }
        }
        if (st == TS_OK) r->lc_other++;
        lc_rule_free(&l);
    }
    aws_xml_free(root);
    return st;
}

/* Settings the identity may not read become a note, not a failure. */
static bool denied(ts_status st, ts_error *err, arc_retention *r, const char *what)
{
    if (st != TS_ERR_AUTH) return false;
    size_t n = strlen(r->unreadable);
    snprintf(r->unreadable + n, sizeof r->unreadable - n, "%s%s (%s)", n ? "; " : "", what,
             err->msg);
    ts_err_clear(err);
    return true;
}

/* ---- judging ---- */

static void judge(arc_retention *r)
{
    arc_ret_rule *rv = &r->rules[ARC_RET_RULE_VERSIONING];
    arc_ret_rule *rt = &r->rules[ARC_RET_RULE_TRANSITION];
    arc_ret_rule *re = &r->rules[ARC_RET_RULE_NO_EXPIRATION];
    arc_ret_rule *rl = &r->rules[ARC_RET_RULE_OBJECT_LOCK];
    if (r->kind == ARC_RET_LOCAL) {
        const char *w = "not enforceable (local directory): anyone who can write the directory "
                        "can delete or change the files; copy the archive to S3 with Object Lock";
        why(rv, ARC_RET_CANNOT_HOLD, false, "%s", w);
        why(rt, ARC_RET_CANNOT_HOLD, false, "%s", w);
        why(re, ARC_RET_CANNOT_HOLD, false, "%s", w);
        why(rl, ARC_RET_CANNOT_HOLD, false, "%s", w);
        r->verdict = ARC_RET_CANNOT_HOLD;
        return;
    }
    char want[TS_TIME_STR_MAX];
    int64_t want_ns;
    if (!arc_retention_until(r->assessed_at, r->years, &want_ns, want)) want_ns = INT64_MAX;
    long pdays = period_days(r->years);

    /* versioning */
    if (strstr(r->unreadable, "versioning"))
        why(rv, ARC_RET_CANNOT_HOLD, false,
            "cannot read the bucket's versioning (needs s3:GetBucketVersioning)");
    else if (strcmp(r->versioning, "Enabled") == 0)
        why(rv, ARC_RET_HOLDS, false, "versioning is Enabled: an overwrite or delete keeps the "
                                      "earlier version");
    else
        why(rv, ARC_RET_DOES_NOT_HOLD, true,
            "versioning is %s: an overwrite or delete loses the object (--apply enables it)",
            r->versioning[0] ? r->versioning : "off (never enabled)");

    /* lifecycle */
    if (strstr(r->unreadable, "lifecycle")) {
        const char *w = "cannot read the bucket's lifecycle rules (needs "
                        "s3:GetLifecycleConfiguration)";
        why(rt, ARC_RET_CANNOT_HOLD, false, "%s", w);
        why(re, ARC_RET_CANNOT_HOLD, false, "%s", w);
    } else {
        const arc_ret_lc_rule *mover = NULL;
        const arc_ret_transition *mt = NULL;
        for (size_t i = 0; i < r->nlc && !mover; i++) {
            const arc_ret_lc_rule *l = &r->lc[i];
            if (!l->enabled || !l->covers_all) continue;
            for (size_t k = 0; k < l->ntransitions; k++)
                if (!l->transitions[k].noncurrent && l->transitions[k].storage_class[0]) {
                    mover = l;
                    mt = &l->transitions[k];
                    break;
                }
        }
        if (mover) {
            char when[64];
            if (mt->days >= 0) snprintf(when, sizeof when, "after %ld days", mt->days);
            else snprintf(when, sizeof when, "on %s", mt->date);
            why(rt, ARC_RET_HOLDS, false, "rule '%s' moves every archive object to %s %s",
                mover->id, mt->storage_class, when);
        } else {
            why(rt, ARC_RET_DOES_NOT_HOLD, true,
                "no enabled lifecycle rule moves every object under %s to a colder storage class "
                "(--apply adds rule '%s:%s')",
                r->key_prefix, ARC_RET_RULE_ID_PREFIX, r->key_prefix);
        }
        const arc_ret_lc_rule *bad = NULL;
        char what[256] = "";
        for (size_t i = 0; i < r->nlc && !bad; i++) {
            const arc_ret_lc_rule *l = &r->lc[i];
            if (!l->enabled) continue;
            if (l->expiration_days >= 0 && l->expiration_days < pdays)
                snprintf(what, sizeof what, "expires current versions after %ld days",
                         l->expiration_days);
            else if (l->expiration_date[0]) {
                int64_t d;
                if (!ts_time_parse(l->expiration_date, strlen(l->expiration_date), &d) ||
                    d < want_ns)
                    snprintf(what, sizeof what, "expires current versions on %s",
                             l->expiration_date);
            }
            if (!what[0] && l->noncurrent_expiration_days >= 0 &&
                l->noncurrent_expiration_days < pdays)
                snprintf(what, sizeof what, "expires noncurrent versions %ld days after they "
                                            "are replaced",
                         l->noncurrent_expiration_days);
            if (what[0]) bad = l;
        }
        if (!bad)
            why(re, ARC_RET_HOLDS, false,
                "no enabled lifecycle rule touching %s expires current or noncurrent versions "
                "within %d years (%ld days)",
                r->key_prefix, r->years, pdays);
        else if (bad->ours)
            why(re, ARC_RET_DOES_NOT_HOLD, true, "rule '%s' %s, before %d years (%ld days) (--apply "
                                                 "replaces it)",
                bad->id, what, r->years, pdays);
        else
            why(re, ARC_RET_DOES_NOT_HOLD, false,
                "rule '%s' (prefix '%s') %s, before %d years (%ld days); tsarchive never edits "
                "another rule: change or remove it (Object Lock still keeps locked versions)",
                bad->id, bad->filter_prefix, what, r->years, pdays);
    }

    /* Object Lock */
    if (strstr(r->unreadable, "Object Lock")) {
        why(rl, ARC_RET_CANNOT_HOLD, false,
            "cannot read the bucket's Object Lock configuration (needs "
            "s3:GetBucketObjectLockConfiguration)");
    } else if (!r->lock_enabled) {
        rl->required = false;
        why(rl, ARC_RET_CANNOT_HOLD, false,
            "the bucket has no Object Lock: anyone allowed s3:DeleteObjectVersion can delete an "
            "archive version before its time; create the archive bucket with Object Lock (or "
            "enable it with PutObjectLockConfiguration) and run retention --apply");
    } else {
        const arc_ret_object *first = NULL;
        size_t present = 0;
        for (size_t i = 0; i < r->nobjects; i++) {
            const arc_ret_object *o = &r->objects[i];
            if (!o->present) continue;
            present++;
            if (!o->held && !first) first = o;
        }
        if (!first) {
            char l[TS_TIME_STR_MAX] = "-";
            if (r->latest_until_ns) fmt_date(r->latest_until_ns, l);
            bool any_gov = false;
            for (size_t i = 0; i < r->nobjects; i++)
                if (strcmp(r->objects[i].lock_mode, "GOVERNANCE") == 0) any_gov = true;
            why(rl, ARC_RET_HOLDS, false,
                "all %zu archive objects are locked until their export time + %d years or "
                "later (latest %s)%s",
                present, r->years, l,
                any_gov ? "; GOVERNANCE locks can be lifted by an identity allowed "
                          "s3:BypassGovernanceRetention"
                        : "");
        } else {
            char need[TS_TIME_STR_MAX];
            fmt_date(first->required_ns, need);
            why(rl, ARC_RET_DOES_NOT_HOLD, true,
                "%zu of %zu archive objects can be deleted before export time + %d years; "
                "first: %s (%s%s%s, needs %s) (--apply locks them)",
                r->objects_exposed, present, r->years, first->key,
                first->lock_mode[0] ? first->lock_mode : "not locked",
                first->lock_mode[0] ? " until " : "", first->lock_mode[0] ? first->lock_until : "",
                need);
        }
    }
    bool dnh = false, cnh = false;
    for (int i = 0; i < ARC_RET_RULE_COUNT; i++) {
        if (!r->rules[i].required) continue;
        if (r->rules[i].verdict == ARC_RET_DOES_NOT_HOLD) dnh = true;
        if (r->rules[i].verdict == ARC_RET_CANNOT_HOLD) cnh = true;
    }
    r->verdict = dnh ? ARC_RET_DOES_NOT_HOLD : cnh ? ARC_RET_CANNOT_HOLD : ARC_RET_HOLDS;
}

/* "s3://bucket/pre/" → bucket, "pre/" */
static ts_status split_url(const char *url, char **bucket, char **prefix, ts_error *err)
{
    const char *b = url + 5;
    const char *slash = strchr(b, '/');
    size_t bl = slash ? (size_t)(slash - b) : strlen(b);
    *bucket = ts_malloc(bl + 1);
    *prefix = ts_strdup(slash ? slash + 1 : "");
    if (!*bucket || !*prefix) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    memcpy(*bucket, b, bl);
    (*bucket)[bl] = '\0';
    return TS_OK;
}

ts_status arc_retention_assess(arc_storage *s, aws_client *aws, const arc_retention_opts *o,
                               arc_retention *r, ts_error *err)
{
    arc_retention_init(r);
    r->years = o && o->years > 0 ? o->years : ARC_RET_DEFAULT_YEARS;
    if (r->years > ARC_RET_MAX_YEARS)
        return ts_err_set(err, TS_ERR_USAGE, "retention of %d years: at most %d", r->years,
                          ARC_RET_MAX_YEARS);
    r->assessed_at = o && o->now_ns ? o->now_ns : ts_now_ns();
    const char *prefix = o && o->prefix ? o->prefix : ARC_DEFAULT_PREFIX;
    r->root = ts_strdup(arc_storage_describe(s));
    r->prefix = ts_strdup(prefix);
    if (!r->root || !r->prefix) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    bool s3 = strcmp(s->ops->scheme, "s3") == 0;
    r->kind = s3 ? ARC_RET_S3 : ARC_RET_LOCAL;
    if (s3 && !aws) return ts_err_set(err, TS_ERR_INTERNAL, "retention: an S3 root needs a client");
    char *root_prefix = NULL;
    if (s3) {
        TS_TRY(split_url(s->url, &r->bucket, &root_prefix, err));
        size_t n = strlen(root_prefix) + strlen(prefix) + 1;
        r->key_prefix = ts_malloc(n);
        if (!r->key_prefix) {
            ts_free(root_prefix);
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        snprintf(r->key_prefix, n, "%s%s", root_prefix, prefix);
    }

    ts_status st = TS_OK;
    if (s3) {
        st = s3_get_bucket_versioning(aws, r->bucket, r->versioning, &r->mfa_delete, err);
        if (st != TS_OK && denied(st, err, r, "versioning")) st = TS_OK;
        if (st == TS_OK) {
            s3_object_lock_config lc;
            st = s3_get_object_lock_config(aws, r->bucket, &lc, err);
            if (st == TS_OK) {
                r->lock_enabled = lc.enabled;
                snprintf(r->default_mode, sizeof r->default_mode, "%s", lc.mode);
                r->default_days = lc.days;
                r->default_years = lc.years;
            } else if (denied(st, err, r, "Object Lock")) {
                st = TS_OK;
            }
        }
        if (st == TS_OK) {
            st = read_lifecycle(aws, r, err);
            if (st != TS_OK && denied(st, err, r, "lifecycle")) st = TS_OK;
        }
    }

    /* the archive: manifests and what they list */
    key_list kl = {0};
    if (st == TS_OK) st = arc_storage_list(s, prefix, collect, &kl, err);
    if (st == TS_OK && kl.n) qsort(kl.keys, kl.n, sizeof *kl.keys, cmp_str_ptr);
    size_t plen = strlen(prefix);
    for (size_t i = 0; st == TS_OK && i < kl.n; i++) {
        const char *rest = kl.keys[i] + (has_prefix(kl.keys[i], prefix) ? plen : 0);
        const char *slash = strchr(rest, '/');
        if (slash && strcmp(slash + 1, ARC_MANIFEST_NAME) == 0 && (size_t)(slash - rest) < 256) {
            char db[256];
            snprintf(db, sizeof db, "%.*s", (int)(slash - rest), rest);
            if (arc_name_ok(db)) st = add_database(s, r, kl.keys[i], db, err);
        }
        if (o && o->cancel && *o->cancel) st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
    }
    if (st == TS_OK && r->databases == 0)
        st = ts_err_set(err, TS_ERR_NOT_FOUND, "%s%s: no archive here (no %s under it)", r->root,
                        prefix, ARC_MANIFEST_NAME);
    if (st == TS_OK && r->nobjects) qsort(r->objects, r->nobjects, sizeof *r->objects, cmp_object);
    /* objects present, and the others under the prefix */
    size_t judged_present = 0;
    for (size_t i = 0; st == TS_OK && i < r->nobjects; i++) {
        arc_ret_object *ob = &r->objects[i];
        ob->present = key_find(&kl, ob->key) >= 0;
        if (ob->present) judged_present++;
        snprintf(ob->storage_class, sizeof ob->storage_class, "%s", s3 ? "STANDARD" : "");
    }
    r->other_objects = kl.n >= judged_present ? kl.n - judged_present : 0;
    key_list_free(&kl);

    /* every present object's lock and storage class */
    for (size_t i = 0; st == TS_OK && i < r->nobjects; i++) {
        arc_ret_object *ob = &r->objects[i];
        if (!ob->present) continue;
        if (!s3) {
            arc_object_info info;
            if (arc_storage_head(s, ob->key, &info, err) == TS_OK) ob->size = info.size;
            ts_err_clear(err);
            continue;
        }
        char bkey[ARC_PATH_MAX * 2 + 8];
        snprintf(bkey, sizeof bkey, "%s%s", root_prefix, ob->key);
        s3_lock_info li;
        st = s3_head_object_version(aws, r->bucket, bkey, NULL, &li, err);
        if (st == TS_ERR_NOT_FOUND) { /* deleted since the listing */
            ts_err_clear(err);
            st = TS_OK;
            ob->present = false;
            continue;
        }
        if (st != TS_OK) break;
        ob->size = li.size;
        snprintf(ob->storage_class, sizeof ob->storage_class, "%s", li.storage_class);
        snprintf(ob->version_id, sizeof ob->version_id, "%s", li.version_id);
        snprintf(ob->lock_mode, sizeof ob->lock_mode, "%s", li.lock_mode);
        snprintf(ob->lock_until, sizeof ob->lock_until, "%s", li.lock_until);
        ob->legal_hold = li.legal_hold;
        int64_t u = 0;
        if (li.lock_mode[0] && li.lock_until[0] &&
            !ts_time_parse(li.lock_until, strlen(li.lock_until), &u))
            u = 0;
        ob->lock_until_ns = u;
        if (u > r->latest_until_ns) r->latest_until_ns = u;
        ob->held = ob->legal_hold || (ob->lock_mode[0] && u >= ob->required_ns);
        if (o && o->cancel && *o->cancel) st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
    }
    for (size_t i = 0; i < r->nobjects; i++) {
        if (!r->objects[i].present) continue;
        if (r->objects[i].held) r->objects_held++;
        else r->objects_exposed++;
    }
    ts_free(root_prefix);
    if (st == TS_OK) judge(r);
    return st;
}

/* ---- JSON ---- */

static json_t *jdate(int64_t ns)
{
    if (!ns) return json_null();
    char s[TS_TIME_STR_MAX];
    fmt_date(ns, s);
    return json_string(s);
}

static json_t *jtime(int64_t ns)
{
    char s[TS_TIME_STR_MAX];
    ts_time_format(ns, s);
    return json_string(s);
}

static json_t *jstr(const char *s) { return s && *s ? json_string(s) : json_null(); }
static json_t *jnum(long v) { return v >= 0 ? json_integer(v) : json_null(); }

json_t *arc_retention_to_json(const arc_retention *r, bool with_objects)
{
    json_t *j = json_object();
    if (!j) return NULL;
    json_object_set_new(j, "root", jstr(r->root));
    json_object_set_new(j, "storage", json_string(r->kind == ARC_RET_S3 ? "s3" : "local"));
    json_object_set_new(j, "bucket", jstr(r->bucket));
    json_object_set_new(j, "prefix", jstr(r->prefix));
    json_object_set_new(j, "key_prefix", jstr(r->key_prefix));
    json_object_set_new(j, "years", json_integer(r->years));
    json_object_set_new(j, "assessed_at", jtime(r->assessed_at));
    json_object_set_new(j, "verdict", json_string(arc_ret_verdict_name(r->verdict)));
    json_object_set_new(j, "enforceable", json_boolean(r->kind == ARC_RET_S3));
    if (r->kind == ARC_RET_S3) {
        json_t *b = json_object();
        json_object_set_new(b, "versioning", jstr(r->versioning));
        json_object_set_new(b, "mfa_delete", json_boolean(r->mfa_delete));
        json_t *ol = json_object();
        json_object_set_new(ol, "enabled", json_boolean(r->lock_enabled));
        json_object_set_new(ol, "default_mode", jstr(r->default_mode));
        json_object_set_new(ol, "default_days", jnum(r->default_days));
        json_object_set_new(ol, "default_years", jnum(r->default_years));
        json_object_set_new(b, "object_lock", ol);
        json_object_set_new(b, "lifecycle_configuration", json_boolean(r->lifecycle_present));
        json_t *rules = json_array();
        for (size_t i = 0; i < r->nlc; i++) {
            const arc_ret_lc_rule *l = &r->lc[i];
            json_t *lo = json_object();
            json_object_set_new(lo, "id", json_string(l->id));
            json_object_set_new(lo, "enabled", json_boolean(l->enabled));
            json_object_set_new(lo, "prefix", json_string(l->filter_prefix));
            json_object_set_new(lo, "other_filter", json_boolean(l->other_filter));
            json_object_set_new(lo, "covers_all", json_boolean(l->covers_all));
            json_object_set_new(lo, "ours", json_boolean(l->ours));
            json_t *ts = json_array();
            for (size_t k = 0; k < l->ntransitions; k++) {
                const arc_ret_transition *t = &l->transitions[k];
                json_array_append_new(ts, json_pack("{s:b,s:o,s:o,s:s}", "noncurrent",
                                                    t->noncurrent, "days", jnum(t->days), "date",
                                                    jstr(t->date), "storage_class",
                                                    t->storage_class));
            }
            json_object_set_new(lo, "transitions", ts);
            json_object_set_new(lo, "expiration_days", jnum(l->expiration_days));
            json_object_set_new(lo, "expiration_date", jstr(l->expiration_date));
            json_object_set_new(lo, "noncurrent_expiration_days",
                                jnum(l->noncurrent_expiration_days));
            json_object_set_new(lo, "abort_multipart_days", jnum(l->abort_multipart_days));
            json_array_append_new(rules, lo);
        }
        json_object_set_new(b, "lifecycle_rules", rules);
        json_object_set_new(b, "other_lifecycle_rules", json_integer((json_int_t)r->lc_other));
        json_object_set_new(j, "bucket_settings", b);
    }
    json_t *rules = json_array();
    for (int i = 0; i < ARC_RET_RULE_COUNT; i++) {
        const arc_ret_rule *ru = &r->rules[i];
        json_array_append_new(rules, json_pack("{s:s,s:s,s:b,s:b,s:s}", "rule",
                                               arc_ret_rule_name(ru->id), "verdict",
                                               arc_ret_verdict_name(ru->verdict), "required",
                                               ru->required, "fixable", ru->fixable, "why",
                                               ru->why));
    }
    json_object_set_new(j, "rules", rules);
    if (with_objects) {
        json_t *os = json_array();
        for (size_t i = 0; i < r->nobjects; i++) {
            const arc_ret_object *o = &r->objects[i];
            json_t *oo = json_object();
            json_object_set_new(oo, "key", json_string(o->key));
            json_object_set_new(oo, "database", json_string(o->database));
            json_object_set_new(oo, "manifest", json_boolean(o->manifest));
            json_object_set_new(oo, "present", json_boolean(o->present));
            json_object_set_new(oo, "size", json_integer((json_int_t)o->size));
            json_object_set_new(oo, "storage_class", jstr(o->storage_class));
            json_object_set_new(oo, "version_id", jstr(o->version_id));
            json_object_set_new(oo, "lock_mode", jstr(o->lock_mode));
            json_object_set_new(oo, "lock_until", o->lock_until_ns ? jdate(o->lock_until_ns)
                                                                   : json_null());
            json_object_set_new(oo, "legal_hold", json_boolean(o->legal_hold));
            json_object_set_new(oo, "export_time", jtime(o->export_ns));
            json_object_set_new(oo, "required_until",
                                o->required_ns == INT64_MAX ? json_null() : jdate(o->required_ns));
            json_object_set_new(oo, "held", json_boolean(o->held));
            json_array_append_new(os, oo);
        }
        json_object_set_new(j, "objects", os);
    }
    json_object_set_new(j, "databases", json_integer((json_int_t)r->databases));
    json_object_set_new(j, "objects_total", json_integer((json_int_t)r->nobjects));
    json_object_set_new(j, "objects_held", json_integer((json_int_t)r->objects_held));
    json_object_set_new(j, "objects_exposed", json_integer((json_int_t)r->objects_exposed));
    json_object_set_new(j, "other_objects", json_integer((json_int_t)r->other_objects));
    json_object_set_new(j, "latest_lock_until", jdate(r->latest_until_ns));
    json_object_set_new(j, "unreadable", jstr(r->unreadable));
    return j;
}
