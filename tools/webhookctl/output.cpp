#include "output.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string_view>
#include <unistd.h>

namespace webhookctl {

std::string format_time(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>((ms % 1000 + 1000) % 1000));
    return buf;
}

std::string format_age(std::chrono::milliseconds age) {
    const long long ms = age.count() < 0 ? 0 : age.count();
    const long long s = ms / 1000;
    auto two = [](long long big, const char* big_unit, long long small, const char* small_unit) {
        std::string out = std::to_string(big) + " " + big_unit;
        if (small != 0)
            out += " " + std::to_string(small) + " " + small_unit;
        return out;
    };
    if (s < 1)
        return std::to_string(ms) + " ms";
    if (s < 60)
        return std::to_string(s) + " s";
    if (s < 3600)
        return two(s / 60, "min", s % 60, "s");
    if (s < 86400)
        return two(s / 3600, "h", s % 3600 / 60, "min");
    return two(s / 86400, "d", s % 86400 / 3600, "h");
}

std::string format_seconds(std::chrono::steady_clock::duration d) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(1) << std::chrono::duration<double>(d).count() << " s";
    return os.str();
}

boost::json::object record_json(const webhook::spool_record& r) {
    boost::json::object o;
    o["id"] = r.id.view();
    o["sequence"] = r.sequence;
    o["created"] = format_time(r.created);
    o["endpoint"] = r.endpoint;
    o["target"] = r.target;
    boost::json::array headers;
    for (std::string_view lines = r.headers; !lines.empty();) {
        const std::size_t end = lines.find("\r\n");
        const std::string_view line = lines.substr(0, end);
        const std::size_t colon = line.find(": ");
        if (colon != std::string_view::npos)
            headers.push_back(boost::json::array{line.substr(0, colon), line.substr(colon + 2)});
        else if (!line.empty())
            headers.push_back(boost::json::array{line, ""});
        lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 2);
    }
    o["headers"] = std::move(headers);
    o["last_status"] = r.last_status;
    o["last_error"] = r.last_error;
    boost::system::error_code ec;
    boost::json::value payload = boost::json::parse(r.payload, ec);
    if (ec)
        o["payload_text"] = r.payload;
    else
        o["payload"] = std::move(payload);
    return o;
}

namespace {

void pretty(std::ostream& os, const boost::json::value& v, std::string& indent) {
    switch (v.kind()) {
    case boost::json::kind::object: {
        const auto& obj = v.get_object();
        if (obj.empty()) {
            os << "{}";
            return;
        }
        os << "{\n";
        indent += "  ";
        bool first = true;
        for (const auto& [key, value] : obj) {
            os << (first ? "" : ",\n") << indent << boost::json::serialize(boost::json::string(key))
               << ": ";
            pretty(os, value, indent);
            first = false;
        }
        indent.resize(indent.size() - 2);
        os << "\n" << indent << "}";
        return;
    }
    case boost::json::kind::array: {
        const auto& arr = v.get_array();
        if (arr.empty()) {
            os << "[]";
            return;
        }
        // Arrays of scalars stay on one line: ["X-Tenant", "acme"].
        bool scalars = true;
        for (const auto& e : arr)
            scalars = scalars && !e.is_structured();
        if (scalars) {
            os << "[";
            for (std::size_t i = 0; i < arr.size(); ++i)
                os << (i ? ", " : "") << boost::json::serialize(arr[i]);
            os << "]";
            return;
        }
        os << "[\n";
        indent += "  ";
        for (std::size_t i = 0; i < arr.size(); ++i) {
            os << (i ? ",\n" : "") << indent;
            pretty(os, arr[i], indent);
        }
        indent.resize(indent.size() - 2);
        os << "\n" << indent << "]";
        return;
    }
    default:
        os << boost::json::serialize(v);
    }
}

} // namespace

void pretty_print(std::ostream& os, const boost::json::value& v) {
    std::string indent;
    pretty(os, v, indent);
    os << '\n';
}

progress_bar::progress_bar(std::string verb, std::size_t total)
    : verb_(std::move(verb)), total_(total), enabled_(::isatty(STDERR_FILENO) == 1) {}

progress_bar::~progress_bar() {
    finish();
}

void progress_bar::update(std::size_t done) {
    if (!enabled_ || total_ == 0)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && done < total_ && now - last_ < std::chrono::milliseconds(100))
        return;
    last_ = now;
    constexpr std::size_t width = 30;
    const std::size_t filled = done * width / total_;
    std::cerr << '\r' << verb_ << " [" << std::string(filled, '#')
              << std::string(width - filled, '.') << "] " << done << "/" << total_ << std::flush;
    drawn_ = true;
}

void progress_bar::finish() {
    if (drawn_)
        std::cerr << "\r\033[K" << std::flush; // erase the line: the summary follows
    drawn_ = false;
}

} // namespace webhookctl
