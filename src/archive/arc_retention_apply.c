/* retention --apply: the changes that make the policy hold (versioning on,
 * a lifecycle rule for the archive prefix merged with the bucket's other
 * rules, Object Lock on each archive object), never shortening a lock or
 * changing a rule tsarchive did not write. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_layout.h"
#include "archive/arc_retention.h"
#include "aws/aws_s3.h"
#include "aws/aws_xml.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"

void arc_ret_plan_free(arc_ret_plan *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nchanges; i++) {
        ts_free(p->changes[i].key);
        ts_free(p->changes[i].what);
        ts_free(p->changes[i].mode);
        ts_free(p->changes[i].until);
    }
    ts_free(p->changes);
    for (size_t i = 0; i < p->nnotes; i++) ts_free(p->notes[i]);
    ts_free(p->notes);
    ts_free(p->lifecycle_xml);
    memset(p, 0, sizeof *p);
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    ts_buf b;
    ts_buf_init(&b, (size_t)64 << 10);
    va_list ap;
    va_start(ap, fmt);
    char tmp[4096];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (ts_buf_append_str(&b, tmp) != TS_OK || ts_buf_nul(&b) != TS_OK) {
        ts_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}

static ts_status add_note(arc_ret_plan *p, char *text, ts_error *err)
{
    char **nn = text ? ts_realloc(p->notes, (p->nnotes + 1) * sizeof *nn) : NULL;
    if (!nn) {
        ts_free(text);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    p->notes = nn;
    p->notes[p->nnotes++] = text;
    return TS_OK;
}

static ts_status add_change(arc_ret_plan *p, arc_ret_change_kind kind, const char *key,
                            char *what, const char *mode, const char *until, ts_error *err)
{
    arc_ret_change *nc = what ? ts_realloc(p->changes, (p->nchanges + 1) * sizeof *nc) : NULL;
    if (!nc) {
        ts_free(what);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    p->changes = nc;
    arc_ret_change *c = &nc[p->nchanges];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->what = what;
    c->key = key ? ts_strdup(key) : NULL;
    c->mode = mode ? ts_strdup(mode) : NULL;
    c->until = until ? ts_strdup(until) : NULL;
    p->nchanges++;
    if ((key && !c->key) || (mode && !c->mode) || (until && !c->until))
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

/* ---- the lifecycle document ---- */

static ts_status xml_text(ts_buf *b, const char *s)
{
    for (; *s; s++) {
        ts_status st = *s == '&'   ? ts_buf_append_str(b, "&amp;")
                       : *s == '<' ? ts_buf_append_str(b, "&lt;")
                       : *s == '>' ? ts_buf_append_str(b, "&gt;")
                       : *s == '"' ? ts_buf_append_str(b, "&quot;")
                                   : ts_buf_append_byte(b, (uint8_t)*s);
        if (st != TS_OK) return st;
    }
    return TS_OK;
}

/* An element again as XML: children, or its text when it has none (S3's
 * lifecycle schema has no mixed content and no attributes). */
static ts_status xml_emit(ts_buf *b, const aws_xml_node *n)
{
    TS_TRY(ts_buf_printf(b, "<%s>", n->name));
    if (n->first) {
        for (const aws_xml_node *c = n->first; c; c = c->next) TS_TRY(xml_emit(b, c));
    } else {
        TS_TRY(xml_text(b, n->text));
    }
    return ts_buf_printf(b, "</%s>", n->name);
}

/* The merged document: every existing rule except the one named our_id, then
 * ours. */
static ts_status lifecycle_doc(const arc_retention *r, const char *our_id, const char *cls,
                               int days, char **out, ts_error *err)
{
    *out = NULL;
    ts_buf b;
    ts_buf_init(&b, (size_t)4 << 20);
    ts_status st = ts_buf_append_str(
        &b, "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    aws_xml_node *root = NULL;
    if (st == TS_OK && r->lifecycle_xml) {
        st = aws_xml_parse(r->lifecycle_xml, strlen(r->lifecycle_xml), &root, err);
        for (aws_xml_node *n = root ? root->first : NULL; n && st == TS_OK; n = n->next) {
            if (strcmp(n->name, "Rule") != 0) continue;
            const char *id = aws_xml_child_text(n, "ID");
            if (id && strcmp(id, our_id) == 0) continue;
            st = xml_emit(&b, n);
        }
    }
    if (st == TS_OK) st = ts_buf_append_str(&b, "<Rule><ID>");
    if (st == TS_OK) st = xml_text(&b, our_id);
    if (st == TS_OK) st = ts_buf_append_str(&b, "</ID><Filter><Prefix>");
    if (st == TS_OK) st = xml_text(&b, r->key_prefix);
    if (st == TS_OK)
        st = ts_buf_printf(&b,
                           "</Prefix></Filter><Status>Enabled</Status>"
                           "<Transition><Days>%d</Days><StorageClass>%s</StorageClass></Transition>"
                           "<NoncurrentVersionTransition><NoncurrentDays>%d</NoncurrentDays>"
                           "<StorageClass>%s</StorageClass></NoncurrentVersionTransition>"
                           "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7"
                           "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
                           "</LifecycleConfiguration>",
                           days, cls, days, cls);
    if (st == TS_OK) st = ts_buf_nul(&b);
    aws_xml_free(root);
    if (st != TS_OK) {
        ts_buf_free(&b);
        if (err->code == TS_OK) ts_err_set(err, st, "lifecycle configuration too large");
        return st;
    }
    *out = (char *)b.data;
    return TS_OK;
}

ts_status arc_retention_plan(const arc_retention *r, const arc_ret_apply_opts *o,
                             arc_ret_plan *p, ts_error *err)
{
    memset(p, 0, sizeof *p);
    const char *cls = o && o->storage_class ? o->storage_class : ARC_RET_DEFAULT_CLASS;
    int days = o && o->transition_days >= 0 ? o->transition_days : ARC_RET_DEFAULT_TRANSITION_DAYS;
    const char *mode = o && o->lock_mode ? arc_retention_lock_mode(o->lock_mode) : "GOVERNANCE";
    if (!arc_retention_class_ok(cls))
        return ts_err_set(err, TS_ERR_USAGE,
                          "storage class '%s': use STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, "
                          "GLACIER_IR, GLACIER or DEEP_ARCHIVE",
                          cls);
    if (days < arc_retention_class_min_days(cls) || days > 36500)
        return ts_err_set(err, TS_ERR_USAGE, "transition after %d days: %s needs %d..36500", days,
                          cls, arc_retention_class_min_days(cls));
    if (!mode) return ts_err_set(err, TS_ERR_USAGE, "lock mode '%s': use governance or compliance",
                                 o->lock_mode);
    if (r->kind == ARC_RET_LOCAL)
        return add_note(p, dup_printf("%s is a local directory: retention is not enforceable "
                                      "there; nothing to apply",
                                      r->root),
                        err);
    const arc_ret_rule *rv = &r->rules[ARC_RET_RULE_VERSIONING];
    const arc_ret_rule *rt = &r->rules[ARC_RET_RULE_TRANSITION];
    const arc_ret_rule *re = &r->rules[ARC_RET_RULE_NO_EXPIRATION];
    const arc_ret_rule *rl = &r->rules[ARC_RET_RULE_OBJECT_LOCK];
    if (rv->verdict == ARC_RET_DOES_NOT_HOLD)
        TS_TRY(add_change(p, ARC_RET_CH_VERSIONING, NULL,
                          dup_printf("enable versioning on bucket %s (was %s)", r->bucket,
                                     r->versioning[0] ? r->versioning : "never enabled"),
                          NULL, NULL, err));
    else if (rv->verdict == ARC_RET_CANNOT_HOLD)
        TS_TRY(add_note(p, dup_printf("versioning: %s", rv->why), err));

    bool lc_change = rt->verdict == ARC_RET_DOES_NOT_HOLD ||
                     (re->verdict == ARC_RET_DOES_NOT_HOLD && re->fixable);
    if (lc_change) {
        char our_id[ARC_PATH_MAX + 64];
        snprintf(our_id, sizeof our_id, "%s:%s", ARC_RET_RULE_ID_PREFIX, r->key_prefix);
        if (strlen(our_id) > 255) /* S3's limit on rule IDs */
            snprintf(our_id, sizeof our_id, "%s", ARC_RET_RULE_ID_PREFIX);
        TS_TRY(lifecycle_doc(r, our_id, cls, days, &p->lifecycle_xml, err));
        size_t kept = r->lc_other + r->nlc;
        for (size_t i = 0; i < r->nlc; i++)
            if (strcmp(r->lc[i].id, our_id) == 0) kept--;
        TS_TRY(add_change(p, ARC_RET_CH_LIFECYCLE, NULL,
                          dup_printf("set lifecycle rule '%s' on bucket %s: objects under %s move "
                                     "to %s after %d days (noncurrent versions too), no "
                                     "expiration; %zu other rule%s kept unchanged",
                                     our_id, r->bucket, r->key_prefix, cls, days, kept,
                                     kept == 1 ? "" : "s"),
                          NULL, NULL, err));
    } else if (rt->verdict == ARC_RET_CANNOT_HOLD) {
        TS_TRY(add_note(p, dup_printf("lifecycle: %s", rt->why), err));
    }
    if (re->verdict == ARC_RET_DOES_NOT_HOLD && !re->fixable)
        TS_TRY(add_note(p, dup_printf("lifecycle: %s", re->why), err));

    if (r->lock_enabled) {
        for (size_t i = 0; i < r->nobjects; i++) {
            const arc_ret_object *ob = &r->objects[i];
            if (!ob->present || ob->held || ob->required_ns == INT64_MAX) continue;
            char until[TS_TIME_STR_MAX];
            int64_t u;
            if (!arc_retention_until(ob->export_ns, r->years, &u, until)) continue;
            /* COMPLIANCE cannot be turned into GOVERNANCE: keep it */
            const char *m = strcmp(ob->lock_mode, "COMPLIANCE") == 0 ? "COMPLIANCE" : mode;
            char was[96];
            if (ob->lock_mode[0])
                snprintf(was, sizeof was, "was %s until %s", ob->lock_mode, ob->lock_until);
            else snprintf(was, sizeof was, "was not locked");
            TS_TRY(add_change(p, ARC_RET_CH_LOCK, ob->key,
                              dup_printf("lock %s %s until %s (export time + %d years; %s)",
                                         ob->key, m, until, r->years, was),
                              m, until, err));
        }
    } else if (rl->verdict == ARC_RET_CANNOT_HOLD) {
        TS_TRY(add_note(p, dup_printf("object lock: %s", rl->why), err));
    }
    return TS_OK;
}

ts_status arc_retention_apply(aws_client *aws, const arc_retention *r, arc_ret_plan *p,
                              void (*before)(void *user, const arc_ret_change *c), void *user,
                              ts_error *err)
{
    if (r->kind != ARC_RET_S3) return p->nchanges ? ts_err_set(err, TS_ERR_INTERNAL, "not S3") : TS_OK;
    /* the bucket's own prefix: key_prefix without the archive prefix */
    size_t kpl = strlen(r->key_prefix), pl = strlen(r->prefix);
    size_t rpl = kpl >= pl ? kpl - pl : 0;
    for (size_t i = 0; i < p->nchanges; i++) {
        arc_ret_change *c = &p->changes[i];
        if (c->done) continue;
        if (before) before(user, c);
        ts_status st = TS_OK;
        switch (c->kind) {
        case ARC_RET_CH_VERSIONING: st = s3_put_bucket_versioning(aws, r->bucket, true, err); break;
        case ARC_RET_CH_LIFECYCLE:
            st = s3_put_bucket_lifecycle(aws, r->bucket, p->lifecycle_xml, err);
            break;
        case ARC_RET_CH_LOCK: {
            char bkey[ARC_PATH_MAX * 3];
            snprintf(bkey, sizeof bkey, "%.*s%s", (int)rpl, r->key_prefix, c->key);
            st = s3_put_object_retention(aws, r->bucket, bkey, c->mode, c->until, err);
            break;
        }
        }
        if (st != TS_OK) return st;
        c->done = true;
    }
    return TS_OK;
}
