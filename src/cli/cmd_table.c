/* The one list of subcommands, in the order of the user's journey; adding one
 * is a new cmd_<name>.c and a line here. */
#include "cli.h"

extern const cli_cmd cmd_export;
extern const cli_cmd cmd_verify;
extern const cli_cmd cmd_restore;
extern const cli_cmd cmd_cleanup;
extern const cli_cmd cmd_convert;
extern const cli_cmd cmd_inspect;
extern const cli_cmd cmd_cat;
extern const cli_cmd cmd_audit;
extern const cli_cmd cmd_retention;
extern const cli_cmd cmd_report;
extern const cli_cmd cmd_version;

const cli_cmd *const cli_commands[] = {
    &cmd_export,
    &cmd_verify,
    &cmd_restore,
    &cmd_cleanup,
    &cmd_convert,
    &cmd_inspect,
    &cmd_cat,
    &cmd_audit,
    &cmd_retention,
    &cmd_report,
    &cmd_version,
    NULL,
};
