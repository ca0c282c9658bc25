#ifndef WEBHOOK_SECRET_HPP
#define WEBHOOK_SECRET_HPP

#include <ostream>
#include <string>
#include <utility>

namespace webhook {

/** A password, token or key: held like a string, but never printed. `operator<<` writes
    `***`, and the library never puts it in an error message or a log line. */
class secret {
public:
    secret() = default;
    secret(std::string value) : value_(std::move(value)) {}
    secret(const char* value) : value_(value) {}

    /// The value, for the one place that must send it.
    const std::string& reveal() const noexcept { return value_; }
    bool empty() const noexcept { return value_.empty(); }

    friend bool operator==(const secret&, const secret&) = default;
    friend std::ostream& operator<<(std::ostream& os, const secret&);

private:
    std::string value_;
};

inline std::ostream& operator<<(std::ostream& os, const secret&) {
    return os << "***";
}

} // namespace webhook

#endif
