#include <webhook/transport/destination_policy.hpp>

#define BOOST_TEST_MODULE transport_destination_policy
#include <boost/test/unit_test.hpp>

#include <boost/system/errc.hpp>
#include <boost/system/system_error.hpp>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

// The address classification, IP ranges and the policy's decision; no I/O.

using webhook::address_class;
using webhook::ip_range;

namespace {

boost::asio::ip::address addr(const std::string& text) {
    return boost::asio::ip::make_address(text);
}

address_class class_of(const std::string& text) {
    return webhook::classify_address(addr(text));
}

using expectations = std::vector<std::pair<std::string, address_class>>;

void check_all(const expectations& cases) {
    for (const auto& [text, expected] : cases)
        BOOST_TEST(class_of(text) == expected, text << " is " << class_of(text));
}

const auto invalid_argument = make_error_code(boost::system::errc::invalid_argument);

} // namespace

BOOST_AUTO_TEST_SUITE(classification)

BOOST_AUTO_TEST_CASE(every_special_ipv4_range_is_recognised) {
    using c = address_class;
    check_all({
        {"0.0.0.0", c::unspecified},
        {"0.1.2.3", c::unspecified},
        {"10.1.2.3", c::private_network},
        {"100.64.0.1", c::shared_address},
        {"127.0.0.1", c::loopback},
        {"127.255.255.254", c::loopback},
        {"169.254.169.254", c::link_local},
        {"172.16.5.4", c::private_network},
        {"192.0.0.9", c::ietf_protocol},
        {"192.0.2.33", c::documentation},
        {"192.88.99.1", c::relay_anycast},
        {"192.168.1.1", c::private_network},
        {"198.18.0.1", c::benchmarking},
        {"198.51.100.7", c::documentation},
        {"203.0.113.9", c::documentation},
        {"224.0.0.251", c::multicast},
        {"240.0.0.1", c::reserved},
        {"255.255.255.255", c::broadcast},
    });
}

BOOST_AUTO_TEST_CASE(ipv4_ranges_end_exactly_at_their_boundaries) {
    using c = address_class;
    check_all({
        {"0.255.255.255", c::unspecified},
        {"1.0.0.0", c::global},
        {"9.255.255.255", c::global},
        {"10.0.0.0", c::private_network},
        {"10.255.255.255", c::private_network},
        {"11.0.0.0", c::global},
        {"100.63.255.255", c::global},
        {"100.64.0.0", c::shared_address},
        {"100.127.255.255", c::shared_address},
        {"100.128.0.0", c::global},
        {"126.255.255.255", c::global},
        {"128.0.0.0", c::global},
        {"169.253.255.255", c::global},
        {"169.254.0.0", c::link_local},
        {"169.255.0.0", c::global},
        {"172.15.255.255", c::global},
        {"172.16.0.0", c::private_network},
        {"172.31.255.255", c::private_network},
        {"172.32.0.0", c::global},
        {"192.0.0.255", c::ietf_protocol},
        {"192.0.1.0", c::global},
        {"192.0.2.255", c::documentation},
        {"192.0.3.0", c::global},
        {"192.167.255.255", c::global},
        {"192.169.0.0", c::global},
        {"198.17.255.255", c::global},
        {"198.19.255.255", c::benchmarking},
        {"198.20.0.0", c::global},
        {"223.255.255.255", c::global},
        {"239.255.255.255", c::multicast},
        {"255.255.255.254", c::reserved},
    });
}

BOOST_AUTO_TEST_CASE(every_special_ipv6_range_is_recognised) {
    using c = address_class;
    check_all({
        {"::", c::unspecified},
        {"::1", c::loopback},
        {"64:ff9b:1::1", c::local_nat64},
        {"100::1", c::discard_only},
        {"2001::1", c::ietf_protocol},          // Teredo
        {"2001:1::1", c::ietf_protocol},        // PCP anycast: the block is refused whole
        {"2001:10::1", c::ietf_protocol},       // ORCHID
        {"2001:1ff:ffff::1", c::ietf_protocol}, // last /32 of 2001::/23
        {"2001:2::1", c::benchmarking},
        {"2001:db8::1", c::documentation},
        {"3fff::1", c::documentation},
        {"fc00::1", c::unique_local},
        {"fd12:3456::1", c::unique_local},
        {"fe80::1", c::link_local},
        {"fe80::1%1", c::link_local}, // a scope id changes nothing
        {"fec0::1", c::site_local},
        {"ff02::1", c::multicast},
        {"::7f00:1", c::reserved},        // deprecated IPv4-compatible ::127.0.0.1
        {"::ffff:0:7f00:1", c::reserved}, // IPv4-translated (SIIT), in ::/8
        {"5f00::1", c::reserved},         // SRv6 SIDs, outside 2000::/3
    });
}

BOOST_AUTO_TEST_CASE(ipv6_ranges_end_exactly_at_their_boundaries) {
    using c = address_class;
    check_all({
        {"::2", c::reserved},
        {"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", c::local_nat64},
        {"64:ff9b:2::", c::reserved},
        {"100::ffff:ffff:ffff:ffff", c::discard_only},
        {"100:0:0:1::", c::reserved},
        {"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", c::reserved},
        {"2000::", c::global},
        {"2001:200::", c::global}, // just past 2001::/23
        {"2001:2:0:ffff::", c::benchmarking},
        {"2001:2:1::", c::ietf_protocol},
        {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", c::global},
        {"2001:db9::", c::global},
        {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", c::documentation},
        {"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", c::documentation},
        {"3fff:1000::", c::global},
        {"3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", c::global},
        {"4000::", c::reserved},
        {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", c::reserved},
        {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", c::unique_local},
        {"fe00::", c::reserved},
        {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", c::link_local},
        {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", c::site_local},
        {"ff00::", c::multicast},
    });
}

BOOST_AUTO_TEST_CASE(embedded_ipv4_is_classified_by_the_ipv4_address) {
    using c = address_class;
    check_all({
        // IPv4-mapped
        {"::ffff:10.1.2.3", c::private_network},
        {"::ffff:127.0.0.1", c::loopback},
        {"::ffff:169.254.169.254", c::link_local},
        {"::ffff:0.0.0.0", c::unspecified},
        {"::ffff:8.8.8.8", c::global},
        // NAT64, RFC 6052
        {"64:ff9b::10.0.0.1", c::private_network},
        {"64:ff9b::127.0.0.1", c::loopback},
        {"64:ff9b::100.64.0.1", c::shared_address},
        {"64:ff9b::8.8.8.8", c::global},
        // 6to4: the IPv4 address is in bits 16 to 47
        {"2002:a00:5::1", c::private_network},      // 10.0.0.5
        {"2002:7f00:1::", c::loopback},             // 127.0.0.1
        {"2002:a9fe:a9fe::1", c::link_local},       // 169.254.169.254
        {"2002:c0a8:101:1::1", c::private_network}, // 192.168.1.1
        {"2002:808:808::1", c::global},             // 8.8.8.8
    });
}

BOOST_AUTO_TEST_CASE(public_addresses_are_global) {
    for (const char* text : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "192.31.196.1",
                             "2606:4700::1111", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888"})
        BOOST_TEST(class_of(text) == address_class::global, text);
}

BOOST_AUTO_TEST_CASE(classes_read_as_phrases_in_messages) {
    std::ostringstream out;
    out << "10.1.2.3 is " << webhook::classify_address(addr("10.1.2.3"));
    BOOST_TEST(out.str() == "10.1.2.3 is private (RFC 1918)");
    BOOST_TEST(std::string(to_string(address_class::global)) == "public");
    BOOST_TEST(std::string(to_string(address_class::link_local)) == "link-local");
    BOOST_TEST(std::string(to_string(address_class::shared_address)) ==
               "carrier-grade NAT (RFC 6598)");
    BOOST_TEST(std::string(to_string(static_cast<address_class>(99))) == "unknown");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ranges)

BOOST_AUTO_TEST_CASE(cidr_text_and_bare_addresses_parse) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"10.0.0.0/8", "10.0.0.0/8"},       {"fd00::/8", "fd00::/8"},
        {"192.0.2.7", "192.0.2.7/32"},      {"::1", "::1/128"},
        {"0.0.0.0/0", "0.0.0.0/0"},         {"::/0", "::/0"},
        {"2001:db8::/32", "2001:db8::/32"}, {"172.16.0.0/12", "172.16.0.0/12"},
        {"127.0.0.1/32", "127.0.0.1/32"},   {"10.0.0.0/008", "10.0.0.0/8"},
    };
    for (const auto& [text, canonical] : cases) {
        const auto r = ip_range::parse(text);
        BOOST_TEST_REQUIRE(r.has_value(), text);
        BOOST_TEST(r->to_string() == canonical);
        BOOST_TEST(ip_range(text).to_string() == canonical);
    }
    const ip_range r("172.16.0.0/12");
    BOOST_TEST(r.network() == addr("172.16.0.0"));
    BOOST_TEST(r.prefix_length() == 12u);
    BOOST_TEST(ip_range("fd00::/8").network() == addr("fd00::"));
}

BOOST_AUTO_TEST_CASE(malformed_ranges_are_refused) {
    for (const char* text : {
             "10.0.0.0/33",   // prefix too long for IPv4
             "1.2.3/8",       // shortened address
             "::1/129",       // prefix too long for IPv6
             "",              // empty
             "garbage",       // not an address
             "10.0.0.0/",     // empty prefix
             "/8",            // no address
             "10.0.0.0/-1",   // sign
             "10.0.0.0/+8",   // sign
             "10.0.0.0/8x",   // trailing garbage
             "10.0.0.0/0008", // four digits
             "10.0.0.0/8/8",  // two prefixes
             " 10.0.0.0/8",   // blanks
             "10.0.0.0/8 ",   // blanks
             "010.0.0.0/8",   // leading zero: octal to some parsers
             "10.0.0.1/8",    // host bits set
             "fd00::1/8",     // host bits set
             "2001:db8::/28", // host bits set (the low bits of 0xdb8)
             "fe80::1%eth0",  // scope id
             "fe80::%1/10",   // scope id
             "[::1]/128",     // brackets
             "256.0.0.0/8",   // octet out of range
         }) {
        const auto r = ip_range::parse(text);
        BOOST_TEST(!r.has_value(), '"' << text << '"');
        if (!r.has_value())
            BOOST_TEST(r.error() == invalid_argument);
        BOOST_CHECK_THROW(ip_range{text}, boost::system::system_error);
    }
}

BOOST_AUTO_TEST_CASE(the_exception_says_what_is_wrong_with_the_text) {
    const auto message = [](const char* text) -> std::string {
        try {
            ip_range r(text);
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == invalid_argument);
            return e.what();
        }
        return "no exception";
    };
    BOOST_TEST(
        message("10.0.0.0/33").starts_with("IP range \"10.0.0.0/33\": prefix length above 32"));
    BOOST_TEST(message("::1/129").starts_with("IP range \"::1/129\": prefix length above 128"));
    BOOST_TEST(
        message("10.0.0.1/8")
            .starts_with("IP range \"10.0.0.1/8\": address has bits set beyond the prefix length"));
    BOOST_TEST(message("1.2.3/8").starts_with("IP range \"1.2.3/8\": not an IPv4 or IPv6 address"));
    BOOST_TEST(message("").starts_with("IP range \"\": no address"));
    BOOST_TEST(message("fe80::1%eth0").starts_with("IP range \"fe80::1%eth0\": IPv6 scope id"));
    BOOST_TEST(message("10.0.0.0/x")
                   .starts_with("IP range \"10.0.0.0/x\": prefix length is not a number"));
}

BOOST_AUTO_TEST_CASE(range_from_an_address_and_a_prefix_length) {
    const ip_range r(addr("10.0.0.0"), 8);
    BOOST_TEST(r.to_string() == "10.0.0.0/8");
    BOOST_TEST((r == ip_range("10.0.0.0/8")));
    BOOST_TEST((r != ip_range("10.0.0.0/9")));
    BOOST_CHECK_THROW(ip_range(addr("10.0.0.1"), 8), boost::system::system_error);
    BOOST_CHECK_THROW(ip_range(addr("10.0.0.0"), 33), boost::system::system_error);
    BOOST_CHECK_THROW(ip_range(addr("::"), 129), boost::system::system_error);
    BOOST_CHECK_THROW(ip_range(addr("fe80::%1"), 10), boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(contains_follows_the_prefix_bit_by_bit) {
    const ip_range ten("10.0.0.0/8");
    BOOST_TEST(ten.contains(addr("10.0.0.0")));
    BOOST_TEST(ten.contains(addr("10.255.255.255")));
    BOOST_TEST(!ten.contains(addr("9.255.255.255")));
    BOOST_TEST(!ten.contains(addr("11.0.0.0")));

    const ip_range cgnat("100.64.0.0/10");
    BOOST_TEST(cgnat.contains(addr("100.127.255.255")));
    BOOST_TEST(!cgnat.contains(addr("100.128.0.0")));

    const ip_range one("127.0.0.1");
    BOOST_TEST(one.contains(addr("127.0.0.1")));
    BOOST_TEST(!one.contains(addr("127.0.0.2")));

    const ip_range all_v4("0.0.0.0/0");
    BOOST_TEST(all_v4.contains(addr("255.255.255.255")));
    BOOST_TEST(!all_v4.contains(addr("::1")));

    const ip_range ula("fd00::/8");
    BOOST_TEST(ula.contains(addr("fd12::1")));
    BOOST_TEST(ula.contains(addr("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    BOOST_TEST(!ula.contains(addr("fc00::1")));
    BOOST_TEST(!ula.contains(addr("fe00::")));
    BOOST_TEST(!ula.contains(addr("10.0.0.1")));

    const ip_range odd("2001:db8::/33"); // a prefix that ends inside a byte
    BOOST_TEST(odd.contains(addr("2001:db8:7fff:ffff::1")));
    BOOST_TEST(!odd.contains(addr("2001:db8:8000::")));

    const ip_range link("fe80::/10");
    BOOST_TEST(link.contains(addr("fe80::1%1"))); // scope ids are ignored
    BOOST_TEST(link.contains(addr("febf::1")));
    BOOST_TEST(!link.contains(addr("fec0::1")));

    BOOST_TEST(ip_range("::/0").contains(addr("::ffff:10.0.0.1")));
    BOOST_TEST(!ip_range("::/0").contains(addr("10.0.0.1")));
}

BOOST_AUTO_TEST_CASE(ipv4_range_contains_the_ipv4_mapped_forms_only) {
    const ip_range loop("127.0.0.0/8");
    BOOST_TEST(loop.contains(addr("::ffff:127.0.0.1")));
    BOOST_TEST(!loop.contains(addr("::ffff:128.0.0.1")));
    BOOST_TEST(!loop.contains(addr("::1")));
    BOOST_TEST(!loop.contains(addr("64:ff9b::127.0.0.1"))); // NAT64 is another host's address
    BOOST_TEST(!loop.contains(addr("2002:7f00:1::")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(policy)

BOOST_AUTO_TEST_CASE(default_policy_permits_every_address) {
    const webhook::destination_policy p;
    BOOST_TEST(!p.public_only);
    for (const char* text : {"127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "8.8.8.8"})
        BOOST_TEST(p.permits(addr(text)), text);
}

BOOST_AUTO_TEST_CASE(public_only_permits_global_addresses_only) {
    webhook::destination_policy p;
    p.public_only = true;
    for (const char* text : {"127.0.0.1", "10.0.0.5", "169.254.169.254", "100.64.1.1", "0.0.0.0",
                             "::1", "::", "::ffff:127.0.0.1", "fd00::2", "fe80::1",
                             "64:ff9b::10.0.0.1", "2002:a00:5::1", "192.0.2.2"})
        BOOST_TEST(!p.permits(addr(text)), text);
    for (const char* text : {"8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8"})
        BOOST_TEST(p.permits(addr(text)), text);
}

BOOST_AUTO_TEST_CASE(allow_list_opens_exactly_its_ranges) {
    webhook::destination_policy p;
    p.public_only = true;
    p.allow = {ip_range("127.0.0.0/8"), ip_range("fd00::/64")};
    BOOST_TEST(p.permits(addr("127.0.0.1")));
    BOOST_TEST(p.permits(addr("127.255.255.255")));
    BOOST_TEST(p.permits(addr("::ffff:127.0.0.1")));
    BOOST_TEST(p.permits(addr("fd00::2")));
    BOOST_TEST(p.permits(addr("8.8.8.8"))); // public stays permitted
    BOOST_TEST(!p.permits(addr("::1")));
    BOOST_TEST(!p.permits(addr("fd00:0:0:1::2")));
    BOOST_TEST(!p.permits(addr("10.0.0.5")));
    BOOST_TEST(!p.permits(addr("169.254.169.254")));
}

BOOST_AUTO_TEST_CASE(policies_compare_by_value) {
    webhook::destination_policy a;
    a.public_only = true;
    a.allow = {ip_range("10.0.0.0/8")};
    webhook::destination_policy b = a;
    BOOST_TEST((a == b));
    b.allow.push_back(ip_range("::1"));
    BOOST_TEST((a != b));
}

BOOST_AUTO_TEST_SUITE_END()
