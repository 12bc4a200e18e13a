/* The paging loop of the cleanup services' list calls: request building per
 * protocol (JSON body, REST query string, awsQuery form), answer reading,
 * token bookkeeping, page cap. The calls themselves stay in each service. */
#include "aws/aws_page.h"

#include <stdio.h>
#include <string.h>

#include "core/ts_alloc.h"

/* The request of one page: base + size + token, in the style's protocol.
 * ps has room for base->nparams + 2. Frees nothing of base. */
static ts_status build_request(const aws_page_style *s, const aws_page_req *base,
                               unsigned size, const char *size_text, const char *token,
                               aws_param *ps, aws_page_req *rq, ts_error *err)
{
    memset(rq, 0, sizeof *rq);
    switch (s->proto) {
    case AWS_PAGE_JSON: {
        json_t *b = json_object();
        /* the size first, then the fixed fields, then the token */
        if (!b || json_object_set_new(b, s->size_field, json_integer(size)) ||
            (base->body && json_object_update(b, base->body)) ||
            (token && json_object_set_new(b, s->token_in, json_string(token)))) {
            json_decref(b);
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        rq->body = b;
        return TS_OK;
    }
    case AWS_PAGE_REST: {
        char *enc = token ? aws_svc_uri_encode(token) : NULL;
        size_t l = strlen(base->path_query) + strlen(s->size_field) + strlen(size_text) +
                   (enc ? strlen(s->token_in) + strlen(enc) : 0) + 8;
        char *pq = (!token || enc) ? ts_malloc(l) : NULL;
        if (pq)
            snprintf(pq, l, "%s%c%s=%s%s%s%s%s", base->path_query,
                     strchr(base->path_query, '?') ? '&' : '?', s->size_field, size_text,
                     enc ? "&" : "", enc ? s->token_in : "", enc ? "=" : "", enc ? enc : "");
        ts_free(enc);
        if (!pq) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        rq->path_query = pq;
        return TS_OK;
    }
    case AWS_PAGE_QUERY:
        if (base->nparams) memcpy(ps, base->params, base->nparams * sizeof *ps);
        rq->params = ps;
        rq->nparams = base->nparams;
        ps[rq->nparams++] = (aws_param){s->size_field, size_text};
        if (token) ps[rq->nparams++] = (aws_param){s->token_in, token};
        return TS_OK;
    }
    return ts_err_set(err, TS_ERR_INTERNAL, "%s: unknown paging protocol", s->service);
}

static void free_request(aws_page_req *rq)
{
    json_decref(rq->body);
    ts_free((char *)rq->path_query);
}

/* Items of a JSON answer; *next its token (NULL = the end). */
static ts_status read_json(const aws_page_desc *d, const json_t *ans, void *ctx,
                           const char **next, ts_error *err)
{
    const aws_page_style *s = d->style;
    json_t *arr = json_object_get(ans, d->list);
    if (arr && !json_is_array(arr))
        return ts_err_set(err, TS_ERR_CORRUPT, "%s %s: %s is not an array", s->service, d->op,
                          d->list);
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        if (!json_is_object(e))
            return ts_err_set(err, TS_ERR_CORRUPT, "%s %s: %s[%zu] is not an object", s->service,
                              d->op, d->list, i);
        TS_TRY(d->json_item(ctx, e, err));
    }
    *next = json_string_value(json_object_get(ans, s->token_out));
    return TS_OK;
}

/* Items of an awsQuery document; *next its token (NULL = the end). */
static ts_status read_xml(const aws_page_desc *d, const aws_xml_node *doc, void *ctx,
                          const char **next, ts_error *err)
{
    const aws_page_style *s = d->style;
    const aws_xml_node *r = aws_query_result(doc, d->op);
    if (!r)
        return ts_err_set(err, TS_ERR_CORRUPT, "%s %s: no %sResult in the response", s->service,
                          d->op, d->op);
    if (d->list) {
        const aws_xml_node *l = aws_xml_child(r, d->list);
        for (const aws_xml_node *m = l ? l->first : NULL; m; m = m->next)
            if (strcmp(m->name, "member") == 0) TS_TRY(d->xml_item(ctx, m, err));
    } else {
        TS_TRY(d->xml_item(ctx, r, err));
    }
    *next = aws_xml_child_text(r, s->token_out);
    if (s->truncated) {
        const char *t = aws_xml_child_text(r, s->truncated);
        if (!t || strcmp(t, "true") != 0)
            *next = NULL;
        else if (!*next || !**next)
            return ts_err_set(err, TS_ERR_CORRUPT, "%s %s: %s without a %s", s->service, d->op,
                              s->truncated, s->token_out);
    }
    return TS_OK;
}

ts_status aws_page_list(const aws_page_desc *d, const aws_page_run *run, aws_svc_info *info,
                        ts_error *err)
{
    aws_svc_info_clear(info);
    const aws_page_style *s = d->style;
    unsigned size = run->page_size ? run->page_size : s->size_default;
    if (s->size_max && size > s->size_max) size = s->size_max;
    char size_text[16];
    snprintf(size_text, sizeof size_text, "%u", size);
    unsigned max_pages = s->max_pages ? s->max_pages : AWS_PAGE_MAX_PAGES;
    aws_param *ps = NULL;
    if (s->proto == AWS_PAGE_QUERY && !(ps = ts_calloc(run->base.nparams + 2, sizeof *ps)))
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    char *token = NULL;
    ts_status st = TS_OK;
    for (unsigned page = 0;; page++) {
        if (page >= max_pages) {
            st = ts_err_set(err, TS_ERR_LIMIT, "%s %s: more than %u pages", s->service, d->op,
                            max_pages);
            break;
        }
        aws_page_req rq;
        st = build_request(s, &run->base, size, size_text, token, ps, &rq, err);
        if (st != TS_OK) break;
        aws_page_ans ans = {0};
        aws_svc_info local;
        st = s->call(run->call_ctx, d->op, &rq, &ans, &local, err);
        free_request(&rq);
        const char *next = NULL;
        if (st == TS_ERR_NOT_FOUND && run->parent_may_vanish && page == 0) {
            ts_err_clear(err);
            if (info) info->already_gone = true;
            st = TS_OK;
        } else if (st != TS_OK) {
            if (info) *info = local;
            if (st == TS_ERR_NOT_FOUND) st = TS_ERR_REMOTE;
        } else if (s->proto == AWS_PAGE_QUERY) {
            st = read_xml(d, ans.xml, run->item_ctx, &next, err);
        } else {
            st = read_json(d, ans.json, run->item_ctx, &next, err);
        }
        char *nt = NULL;
        if (st == TS_OK && next && *next) {
            if (token && strcmp(token, next) == 0)
                st = ts_err_set(err, TS_ERR_CORRUPT,
                                "%s %s: the service returned the same %s twice", s->service,
                                d->op, s->token_out);
            else if (!(nt = ts_strdup(next)))
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        json_decref(ans.json);
        aws_xml_free(ans.xml);
        ts_free(token);
        token = nt;
        if (st != TS_OK || !token) break;
    }
    ts_free(token);
    ts_free(ps);
    return st;
}

void *aws_page_vec_push(aws_page_vec *v, size_t elem, ts_error *err)
{
    if (ts_grow(&v->items, elem, v->n, &v->cap, 16, err) != TS_OK) return NULL;
    return (char *)v->items + elem * v->n++;
}

ts_status aws_page_vec_push_str(aws_page_vec *v, const char *s, ts_error *err)
{
    char **slot = aws_page_vec_push(v, sizeof *slot, err);
    if (!slot) return TS_ERR_NOMEM;
    if (!(*slot = ts_strdup(s))) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}
