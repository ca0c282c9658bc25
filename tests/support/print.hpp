#ifndef WEBHOOK_TESTS_SUPPORT_PRINT_HPP
#define WEBHOOK_TESTS_SUPPORT_PRINT_HPP

// How Boost.Test prints library values in failure messages.

#include <webhook/data_path.hpp>
#include <webhook/error.hpp>

#include <ostream>

namespace webhook {

inline std::ostream& boost_test_print_type(std::ostream& os, error e) {
    return os << make_error_code(e).message();
}

inline std::ostream& boost_test_print_type(std::ostream& os, const data_path& p) {
    return os << '"' << p.text() << '"';
}

} // namespace webhook

#endif
