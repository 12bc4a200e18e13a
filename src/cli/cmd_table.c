/* The one list of subcommands; adding one is a new cmd_<name>.c and a line here. */
#include "cli.h"

extern const cli_cmd cmd_version;
extern const cli_cmd cmd_cat;

const cli_cmd *const cli_commands[] = {
    &cmd_version,
    &cmd_cat,
    NULL,
};
