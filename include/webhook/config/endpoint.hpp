#ifndef WEBHOOK_CONFIG_ENDPOINT_HPP
#define WEBHOOK_CONFIG_ENDPOINT_HPP

/** @file
    An endpoint's configuration: the settings (`webhook::endpoint` and its option structs, in
    `<webhook/config/options.hpp>`), and the functions that load them from JSON, validate and
    print them. */

#include <webhook/config/options.hpp>

#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace webhook {

/** Every problem of an endpoint at once. `what()` lists them one per line as
    `path: message`. */
class config_error : public std::runtime_error {
public:
    explicit config_error(std::vector<config_problem> problems);
    const std::vector<config_problem>& problems() const noexcept { return problems_; }

private:
    std::vector<config_problem> problems_;
};

/** Every problem of `e`, or none, in member order. Paths are the member names, which are the
    configuration keys (`retry.max_attempts`, `headers[2].name`).

    Besides the values themselves, it checks that the TLS files exist and open for reading
    (`tls.ca_file: cannot read "/etc/acme/ca.pem": No such file or directory`; the CA files
    only when the server is verified), so that a transport made from `e` does not fail on
    them. Text from `e` quoted in a message (a path) has control characters and bytes that
    are not UTF-8 escaped as `\xNN`. */
std::vector<config_problem> validate(const endpoint& e);

/** Parses an endpoint from a JSON configuration document (see docs/configuration.md), then
    validates it. Unknown keys and wrong types are problems; durations are milliseconds or
    strings such as `"500ms"`, `"10s"`, `"5m"`, `"2h"`; comments are allowed. Secrets may come
    from the environment (`password_env`) or a file (`password_file`).
    @throws config_error with every problem found (syntax, types, unknown keys, unavailable
    secrets, validation), in document order; never a partial endpoint. */
endpoint load_endpoint(std::string_view json_text);

/** Reads and parses the JSON configuration file at `path`.
    @throws config_error naming the path when it cannot be read, or as `load_endpoint`. */
endpoint load_endpoint_file(const std::string& path);

/** The transport settings an endpoint implies: timeouts, TLS, proxy, the response limit,
    and `max_in_flight` connections per origin (1 when `ordered`). */
beast_transport_options transport_options(const endpoint& e);

/** A readable description, one `key: value` line per top-level configuration key, with every
    password, token and header value written as `***` and the URL's query as `?***`. */
std::ostream& operator<<(std::ostream& os, const endpoint& e);

} // namespace webhook

#include <webhook/config/impl/endpoint.hpp>

#endif
