#include <webhook/json/options.hpp>

#define BOOST_TEST_MODULE json_options
#include <boost/test/unit_test.hpp>

using namespace webhook::json;

BOOST_AUTO_TEST_CASE(defaults_reject_what_json_cannot_carry_and_omit_empty_optionals) {
    constexpr write_options o;
    static_assert(o.non_finite == non_finite_policy::reject);
    static_assert(o.invalid_utf8 == utf8_policy::reject);
    static_assert(o.empty_optional == empty_optional_policy::omit);
    BOOST_TEST((o.non_finite == non_finite_policy::reject));
}

BOOST_AUTO_TEST_CASE(options_are_designated_initializable) {
    constexpr write_options o{.non_finite = non_finite_policy::null,
                              .invalid_utf8 = utf8_policy::replace,
                              .empty_optional = empty_optional_policy::null};
    BOOST_TEST((o.non_finite == non_finite_policy::null));
    BOOST_TEST((o.invalid_utf8 == utf8_policy::replace));
    BOOST_TEST((o.empty_optional == empty_optional_policy::null));
}
