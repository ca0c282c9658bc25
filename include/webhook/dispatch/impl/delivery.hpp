#ifndef WEBHOOK_DISPATCH_IMPL_DELIVERY_HPP
#define WEBHOOK_DISPATCH_IMPL_DELIVERY_HPP

#include <ostream>
#include <sstream>

namespace webhook {

inline const char* to_string(delivery_status s) noexcept {
    switch (s) {
    case delivery_status::delivered:
        return "delivered";
    case delivery_status::failed:
        return "failed";
    case delivery_status::gone:
        return "gone";
    case delivery_status::dropped:
        return "dropped";
    case delivery_status::rejected:
        return "rejected";
    case delivery_status::abandoned:
        return "abandoned";
    }
    return "unknown"; // a value cast from outside the enumeration
}

inline std::ostream& operator<<(std::ostream& os, delivery_status s) {
    return os << to_string(s);
}

inline std::ostream& operator<<(std::ostream& os, const delivery& d) {
    if (!d.id.empty())
        os << d.id << ' ';
    os << d.status;
    if (d.attempts.empty())
        return d.error ? os << ": " << d.error.message() : os;
    const attempt& last = d.attempts.back();
    os << " after " << d.attempts.size() << (d.attempts.size() == 1 ? " attempt: " : " attempts: ");
    if (last.error)
        os << last.error.message();
    else
        os << "HTTP " << last.status;
    if (d.error && d.error != last.error)
        os << " (" << d.error.message() << ')';
    return os;
}

inline std::string to_string(const delivery& d) {
    std::ostringstream out;
    out << d;
    return std::move(out).str();
}

} // namespace webhook

#endif
