#ifndef WEBHOOKCTL_ARGUMENTS_HPP
#define WEBHOOKCTL_ARGUMENTS_HPP

// The command line of one subcommand: `--name value`, `--name=value`, flags, and the operands
// left over. Every mistake is a usage_error naming the argument, which main() turns into
// exit code 2.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace webhookctl {

/// A mistake on the command line: exit code 2, with the message.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An operation that failed for a reason outside the command line: exit code 1.
class failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The options a subcommand accepts: those that take a value, and flags.
struct option_spec {
    std::set<std::string, std::less<>> with_value;
    std::set<std::string, std::less<>> flags;
    /// Options that take a value and may be given more than once (`--header`).
    std::set<std::string, std::less<>> repeatable;
};

class arguments {
public:
    /// Parses `args` (after the subcommand's name). `--` ends the options.
    arguments(const std::vector<std::string>& args, const option_spec& spec) {
        bool options_done = false;
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (options_done || a.size() < 2 || a.compare(0, 2, "--") != 0) {
                if (!options_done && a.size() > 1 && a[0] == '-')
                    throw usage_error("unknown option '" + a + "'");
                operands_.push_back(a);
                continue;
            }
            if (a == "--") {
                options_done = true;
                continue;
            }
            const std::size_t eq = a.find('=');
            const std::string name = a.substr(0, eq);
            if (spec.flags.contains(name)) {
                if (eq != std::string::npos)
                    throw usage_error("option '" + name + "' takes no value");
                flags_.insert(name);
            } else if (spec.with_value.contains(name) || spec.repeatable.contains(name)) {
                std::string value;
                if (eq != std::string::npos) {
                    value = a.substr(eq + 1);
                } else {
                    if (i + 1 >= args.size())
                        throw usage_error("option '" + name + "' needs a value");
                    value = args[++i];
                }
                auto& values = values_[name];
                if (!values.empty() && !spec.repeatable.contains(name))
                    throw usage_error("option '" + name + "' given twice");
                values.push_back(std::move(value));
            } else {
                throw usage_error("unknown option '" + name + "'");
            }
        }
    }

    bool flag(std::string_view name) const { return flags_.contains(name); }

    std::optional<std::string> value(std::string_view name) const {
        const auto it = values_.find(name);
        if (it == values_.end())
            return std::nullopt;
        return it->second.front();
    }

    std::string required(std::string_view name) const {
        if (auto v = value(name))
            return *v;
        throw usage_error("missing option '" + std::string(name) + "'");
    }

    std::vector<std::string> all(std::string_view name) const {
        const auto it = values_.find(name);
        return it == values_.end() ? std::vector<std::string>{} : it->second;
    }

    const std::vector<std::string>& operands() const noexcept { return operands_; }

private:
    std::set<std::string, std::less<>> flags_;
    std::map<std::string, std::vector<std::string>, std::less<>> values_;
    std::vector<std::string> operands_;
};

} // namespace webhookctl

#endif
