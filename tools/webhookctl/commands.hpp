#ifndef WEBHOOKCTL_COMMANDS_HPP
#define WEBHOOKCTL_COMMANDS_HPP

// The subcommands. Each returns the exit code (0 done, 1 failed) and throws usage_error for a
// mistake on the command line (exit code 2) or failure for anything else (exit code 1).

#include "arguments.hpp"

namespace webhookctl {

int backlog_command(const arguments& args);
int list_command(const arguments& args);
int show_command(const arguments& args);
int requeue_command(const arguments& args);
int purge_command(const arguments& args);
int send_command(const arguments& args);
int metrics_command(const arguments& args);

} // namespace webhookctl

#endif
