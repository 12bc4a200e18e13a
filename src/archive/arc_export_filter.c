/* Export filters shared by the Timestream and InfluxDB sources: --table
 * globs (matching, the error naming a glob that matches nothing) and the
 * earlier tables a --table run leaves out, kept in the database's manifest. */
#include "arc_export.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "arc_layout.h"
#include "arc_manifest.h"
#include "arc_storage.h"

bool arc_export_glob_wanted(const char *const *globs, size_t nglobs, const char *name)
{
    if (!nglobs) return true;
    for (size_t g = 0; g < nglobs; g++)
        if (fnmatch(globs[g], name, 0) == 0) return true;
    return false;
}

ts_status arc_export_glob_unmatched(const char *const *globs, size_t nglobs, const bool *hit,
                                    const char *noun, size_t nwhere, const char *where,
                                    bool truncated, ts_error *err)
{
    for (size_t g = 0; g < nglobs; g++)
        if (!hit[g])
            return ts_err_set(err, TS_ERR_NOT_FOUND,
                              "--table %s matches no table in %s%s %s%s; nothing was exported",
                              globs[g], noun, nwhere == 1 ? "" : "s",
                              nwhere ? where : "(none selected)", truncated ? "…" : "");
    return TS_OK;
}

ts_status arc_export_table_copy(arc_manifest *dst, const arc_table *pt, arc_table **out,
                                ts_error *err)
{
    arc_table *mt;
    if (arc_manifest_add_table(dst, pt->name, &mt) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < pt->ncols; c++)
        if (arc_table_add_column(mt, pt->cols[c].name, pt->cols[c].role, pt->cols[c].source_type,
                                 pt->cols[c].type) != TS_OK)
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (arc_set_str(&mt->time_unit, pt->time_unit) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    mt->time_ns = pt->time_ns;
    mt->window = pt->window;
    *out = mt;
    return TS_OK;
}

ts_status arc_export_keep_unselected(arc_storage *s, const char *dbdir, const arc_manifest *prev,
                                     arc_manifest *done, const char *const *globs, size_t nglobs,
                                     ts_error *err)
{
    if (!nglobs) return TS_OK;
    for (size_t i = 0; i < prev->ntables; i++) {
        const arc_table *pt = &prev->tables[i];
        if (!pt->name || arc_manifest_find_table(done, pt->name)) continue;
        /* selected, but gone from the source: as without --table */
        if (arc_export_glob_wanted(globs, nglobs, pt->name)) continue;
        arc_table *mt = NULL;
        for (size_t j = 0; j < pt->nfiles; j++) {
            char key[ARC_PATH_MAX];
            TS_TRY(arc_join(key, sizeof key, err, dbdir, pt->files[j].path, NULL));
            if (!arc_object_matches(s, key, &pt->files[j])) continue;
            if (!mt) TS_TRY(arc_export_table_copy(done, pt, &mt, err));
            if (arc_table_put_file(mt, &pt->files[j]) != TS_OK)
                return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
    }
    return TS_OK;
}
