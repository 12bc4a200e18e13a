/* The one list of subcommands; adding one is a new cmd_<name>.c and a line here. */
#include "cli.h"

extern const cli_cmd cmd_convert;
extern const cli_cmd cmd_version;
extern const cli_cmd cmd_cat;
extern const cli_cmd cmd_inspect;

const cli_cmd *const cli_commands[] = {
    &cmd_convert,
    &cmd_version,
    &cmd_cat,
    &cmd_inspect,
    NULL,
};
