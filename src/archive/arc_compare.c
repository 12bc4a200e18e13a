/* stub: filled in below */
#include "archive/arc_compare.h"
#include <stdlib.h>
#include <string.h>
#include "core/ts_alloc.h"
void arc_side_stats_free(arc_side_stats *s) { (void)s; }
void arc_compare_report_init(arc_compare_report *r) { memset(r, 0, sizeof *r); }
void arc_compare_report_free(arc_compare_report *r) { (void)r; }
void arc_compare_month_text(const arc_compare_month *m, char *out, size_t outsz) { (void)m; if (outsz) *out = 0; }
json_t *arc_compare_month_json(const arc_compare_month *m) { (void)m; return json_object(); }
void arc_compare_env_from_getenv(arc_compare_env *env) { memset(env, 0, sizeof *env); }
ts_status arc_compare_run(arc_storage *storage, const arc_compare_opts *o, arc_compare_report *rep,
                          arc_verify_report *vrep, ts_error *err)
{ (void)storage; (void)o; (void)rep; (void)vrep; return ts_err_set(err, TS_ERR_UNSUPPORTED, "not yet"); }
