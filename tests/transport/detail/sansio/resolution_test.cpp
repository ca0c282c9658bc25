#include <webhook/transport/detail/sansio/resolution.hpp>

#define BOOST_TEST_MODULE transport_detail_sansio_resolution
#include <boost/test/unit_test.hpp>

#include <webhook/error.hpp>

#include <boost/asio/ip/address.hpp>

#include <string>
#include <vector>

// Name resolution and the destination guard, decided without sockets or DNS.

namespace sansio = webhook::detail::sansio;
using boost::asio::ip::make_address;
using sansio::after_resolve;
using sansio::resolution_wait_action;

namespace {

sansio::resolver_results results_of(std::initializer_list<const char*> addresses) {
    webhook::host_mapping m{"hooks.example", {}};
    for (const char* a : addresses)
        m.addresses.push_back(make_address(a));
    return sansio::mapped_results(m, webhook::origin{true, "hooks.example", 8443});
}

std::vector<std::string> addresses_of(const sansio::resolver_results& results) {
    std::vector<std::string> out;
    for (const auto& r : results)
        out.push_back(r.endpoint().address().to_string());
    return out;
}

webhook::destination_policy public_only() {
    webhook::destination_policy p;
    p.public_only = true;
    return p;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_destination_is_checked_first_only_through_a_proxy_with_the_guard) {
    BOOST_TEST((sansio::first_resolution(true, true) == after_resolve::check));
    BOOST_TEST((sansio::first_resolution(true, false) == after_resolve::connect));
    BOOST_TEST((sansio::first_resolution(false, true) == after_resolve::connect));
    BOOST_TEST((sansio::first_resolution(false, false) == after_resolve::connect));
}

BOOST_AUTO_TEST_CASE(cached_addresses_serve_connects_but_never_checks) {
    BOOST_TEST(sansio::uses_cache(true, after_resolve::connect));
    BOOST_TEST(!sansio::uses_cache(true, after_resolve::check));
    BOOST_TEST(!sansio::uses_cache(false, after_resolve::connect));
}

BOOST_AUTO_TEST_CASE(a_wait_for_another_resolution_ends_by_precedence) {
    sansio::resolution_wait w;
    w.closed_or_cancelled = true;
    w.has_addresses = true;
    BOOST_TEST((sansio::after_resolution_wait(w) == resolution_wait_action::abort));
    w.closed_or_cancelled = false;
    w.expired = true;
    BOOST_TEST((sansio::after_resolution_wait(w) == resolution_wait_action::use_addresses));
    w.has_addresses = false;
    w.resolving = true;
    BOOST_TEST((sansio::after_resolution_wait(w) == resolution_wait_action::time_out));
    w.expired = false;
    BOOST_TEST((sansio::after_resolution_wait(w) == resolution_wait_action::wait_again));
    w.resolving = false;
    BOOST_TEST((sansio::after_resolution_wait(w) == resolution_wait_action::fail));
}

BOOST_AUTO_TEST_CASE(a_failed_resolution_without_a_recorded_error_is_host_not_found) {
    BOOST_TEST(sansio::resolution_error({}) == boost::asio::error::host_not_found);
    const boost::system::error_code refused = webhook::error::address_not_allowed;
    BOOST_TEST(sansio::resolution_error(refused) == refused);
}

BOOST_AUTO_TEST_CASE(a_mapping_matches_the_host_without_ascii_case_and_nothing_else) {
    const std::vector<webhook::host_mapping> hosts{{"Hooks.Example", {make_address("10.0.0.1")}},
                                                   {"other.example", {}}};
    BOOST_TEST(sansio::find_mapping(hosts, "hooks.example") == &hosts[0]);
    BOOST_TEST(sansio::find_mapping(hosts, "OTHER.example") == &hosts[1]);
    BOOST_TEST(sansio::find_mapping(hosts, "hooks.example.") == nullptr);
    BOOST_TEST(sansio::find_mapping({}, "hooks.example") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_mapping_yields_its_addresses_in_order_or_host_not_found) {
    const webhook::host_mapping empty{"gone.example", {}};
    BOOST_TEST(sansio::mapped_error(empty) == boost::asio::error::host_not_found);
    const auto results = results_of({"10.0.0.2", "::1", "10.0.0.1"});
    BOOST_TEST(addresses_of(results) == (std::vector<std::string>{"10.0.0.2", "::1", "10.0.0.1"}));
    BOOST_TEST(results.begin()->endpoint().port() == 8443);
    BOOST_TEST(results.begin()->host_name() == "hooks.example");
    BOOST_TEST(results.begin()->service_name() == "8443");
}

BOOST_AUTO_TEST_CASE(through_a_proxy_every_address_must_be_permitted) {
    BOOST_TEST(sansio::all_permitted(public_only(), results_of({"93.184.216.34", "1.1.1.1"})));
    BOOST_TEST(!sansio::all_permitted(public_only(), results_of({"93.184.216.34", "10.0.0.1"})));
    BOOST_TEST(sansio::all_permitted({}, results_of({"127.0.0.1"}))); // the guard is off
}

BOOST_AUTO_TEST_CASE(a_direct_connect_keeps_the_permitted_addresses_in_order) {
    auto all = results_of({"93.184.216.34", "1.1.1.1"});
    BOOST_TEST(sansio::keep_permitted(public_only(), all));
    BOOST_TEST(addresses_of(all) == (std::vector<std::string>{"93.184.216.34", "1.1.1.1"}));

    auto some = results_of({"10.0.0.1", "93.184.216.34", "127.0.0.1", "1.1.1.1"});
    BOOST_TEST(sansio::keep_permitted(public_only(), some));
    BOOST_TEST(addresses_of(some) == (std::vector<std::string>{"93.184.216.34", "1.1.1.1"}));
    BOOST_TEST(some.begin()->host_name() == "hooks.example"); // the name stays, for TLS
    BOOST_TEST(some.begin()->endpoint().port() == 8443);

    auto none = results_of({"10.0.0.1", "::1"});
    BOOST_TEST(!sansio::keep_permitted(public_only(), none));
}
