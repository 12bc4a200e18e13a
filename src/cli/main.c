/* tsarchive: the front end. Finds the subcommand, parses its options from its
 * table, runs it, and turns the outcome into an exit status. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ts_version.h"

static volatile sig_atomic_t g_cancel;

static void on_signal(int sig)
{
    (void)sig;
    g_cancel = 1;
}

static void print_overview(FILE *f)
{
    fprintf(f, "Usage: tsarchive <command> [options]\n\n"
               "Retire a time-series database without losing a record: export it to a\n"
               "checksummed Parquet archive, verify it, restore it, and clean up.\n\nCommands:\n");
    for (size_t i = 0; cli_commands[i]; i++)
        fprintf(f, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
    fprintf(f, "\nRun 'tsarchive <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    cli_ctx ctx = {.out = stdout, .err = stderr, .out_tty = isatty(1), .err_tty = isatty(2),
                   .cancel = &g_cancel, .prog = "tsarchive"};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (argc < 2) {
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) name = "version";
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            print_overview(stdout);
            return CLI_EXIT_OK;
        }
        const cli_cmd *c = cli_find(argv[2]);
        if (!c) return cli_usage_error(&ctx, NULL, "unknown command '%s'", argv[2]);
        cli_print_help(c, stdout);
        return CLI_EXIT_OK;
    }
    const cli_cmd *cmd = cli_find(name);
    if (!cmd) {
        cli_usage_error(&ctx, NULL, "unknown command '%s'", name);
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    static cli_args args; /* large; keep it off the stack */
    int rc;
    cli_parse(cmd, argc - 2, argv + 2, &args, &ctx, &rc);
    if (rc >= 0) return rc;
    rc = cmd->run(&args, &ctx);
    if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
        fprintf(stderr, "tsarchive: error: cannot write to standard output\n");
        rc = CLI_EXIT_ERROR;
    }
    if (g_cancel && rc == CLI_EXIT_OK) rc = CLI_EXIT_INTERRUPTED;
    return rc;
}
