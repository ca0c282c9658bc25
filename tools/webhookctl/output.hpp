#ifndef WEBHOOKCTL_OUTPUT_HPP
#define WEBHOOKCTL_OUTPUT_HPP

// How webhookctl writes things: times, ages, sizes, a record as JSON, the progress bar.

#include <webhook/spool/spool.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>

namespace webhookctl {

/// RFC 3339 in UTC with milliseconds: 2025-03-01T12:00:00.250Z.
std::string format_time(std::chrono::system_clock::time_point t);

/// A duration for people: "850 ms", "42 s", "3 min 5 s", "2 h 10 min", "3 d 4 h".
std::string format_age(std::chrono::milliseconds age);

/// Seconds with one decimal: "0.4 s".
std::string format_seconds(std::chrono::steady_clock::duration d);

/** A record as a JSON object: id, sequence, created, endpoint, target, headers (an array of
    [name, value]), last_status, last_error, and the payload as JSON when it parses, else as
    `payload_text`. */
boost::json::object record_json(const webhook::spool_record& r);

/// `v` indented by two spaces per level, keys in their order, and a final newline.
void pretty_print(std::ostream& os, const boost::json::value& v);

/** A progress bar on standard error, drawn only when it is a terminal, at most ten times a
    second; `finish` erases it. */
class progress_bar {
public:
    progress_bar(std::string verb, std::size_t total);
    ~progress_bar();
    void update(std::size_t done);
    void finish();

private:
    std::string verb_;
    std::size_t total_;
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point last_{};
};

} // namespace webhookctl

#endif
