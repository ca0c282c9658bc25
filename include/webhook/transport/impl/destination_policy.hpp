#ifndef WEBHOOK_TRANSPORT_IMPL_DESTINATION_POLICY_HPP
#define WEBHOOK_TRANSPORT_IMPL_DESTINATION_POLICY_HPP

#include <boost/system/errc.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>

namespace webhook {

namespace detail {

struct ipv4_block {
    std::uint32_t network;
    unsigned prefix_length;
    address_class what;
};

inline constexpr std::uint32_t ipv4(unsigned a, unsigned b, unsigned c, unsigned d) noexcept {
    return (std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) |
           std::uint32_t{d};
}

inline constexpr std::uint32_t ipv4_mask(unsigned prefix_length) noexcept {
    return prefix_length == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_length);
}

// In order: the first block that holds an address names it (broadcast before 240/4).
inline constexpr ipv4_block ipv4_special_blocks[] = {
    {ipv4(0, 0, 0, 0), 8, address_class::unspecified},
    {ipv4(10, 0, 0, 0), 8, address_class::private_network},
    {ipv4(100, 64, 0, 0), 10, address_class::shared_address},
    {ipv4(127, 0, 0, 0), 8, address_class::loopback},
    {ipv4(169, 254, 0, 0), 16, address_class::link_local},
    {ipv4(172, 16, 0, 0), 12, address_class::private_network},
    {ipv4(192, 0, 0, 0), 24, address_class::ietf_protocol},
    {ipv4(192, 0, 2, 0), 24, address_class::documentation},
    {ipv4(192, 88, 99, 0), 24, address_class::relay_anycast},
    {ipv4(192, 168, 0, 0), 16, address_class::private_network},
    {ipv4(198, 18, 0, 0), 15, address_class::benchmarking},
    {ipv4(198, 51, 100, 0), 24, address_class::documentation},
    {ipv4(203, 0, 113, 0), 24, address_class::documentation},
    {ipv4(224, 0, 0, 0), 4, address_class::multicast},
    {ipv4(255, 255, 255, 255), 32, address_class::broadcast},
    {ipv4(240, 0, 0, 0), 4, address_class::reserved},
};

inline address_class classify_v4(std::uint32_t a) noexcept {
    for (const auto& b : ipv4_special_blocks)
        if ((a & ipv4_mask(b.prefix_length)) == b.network)
            return b.what;
    return address_class::global;
}

using ipv6_bytes = boost::asio::ip::address_v6::bytes_type;

/// Whether the first `bits` bits of `a` are those of `prefix` (given as leading bytes).
inline bool has_prefix(const ipv6_bytes& a, std::initializer_list<unsigned char> prefix,
                       unsigned bits) noexcept {
    auto p = prefix.begin();
    for (unsigned i = 0; bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
        const unsigned char want = p != prefix.end() ? *p++ : 0;
        const unsigned char mask =
            bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
        if ((a[i] & mask) != (want & mask))
            return false;
    }
    return true;
}

/// The IPv4 address in bytes `at` to `at + 3` of `a`.
inline std::uint32_t embedded_v4(const ipv6_bytes& a, unsigned at) noexcept {
    return ipv4(a[at], a[at + 1], a[at + 2], a[at + 3]);
}

inline address_class classify_v6(const ipv6_bytes& a) noexcept {
    using c = address_class;
    if (has_prefix(a, {}, 128))
        return c::unspecified;
    if (has_prefix(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128))
        return c::loopback;
    // Embedded IPv4: what the packet finally reaches is the IPv4 host.
    if (has_prefix(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96)) // IPv4-mapped
        return classify_v4(embedded_v4(a, 12));
    if (has_prefix(a, {0, 0x64, 0xff, 0x9b}, 96)) // NAT64, RFC 6052
        return classify_v4(embedded_v4(a, 12));
    if (has_prefix(a, {0x20, 0x02}, 16)) // 6to4, RFC 3056
        return classify_v4(embedded_v4(a, 2));
    if (has_prefix(a, {0, 0x64, 0xff, 0x9b, 0, 1}, 48))
        return c::local_nat64;
    if (has_prefix(a, {0x01, 0x00}, 64))
        return c::discard_only;
    if (has_prefix(a, {0x20, 0x01, 0, 0x02}, 48)) // inside 2001::/23: before it
        return c::benchmarking;
    if (has_prefix(a, {0x20, 0x01, 0x00}, 23))
        return c::ietf_protocol;
    if (has_prefix(a, {0x20, 0x01, 0x0d, 0xb8}, 32) || has_prefix(a, {0x3f, 0xff}, 20))
        return c::documentation;
    if (has_prefix(a, {0xfc}, 7))
        return c::unique_local;
    if (has_prefix(a, {0xfe, 0x80}, 10))
        return c::link_local;
    if (has_prefix(a, {0xfe, 0xc0}, 10))
        return c::site_local;
    if (has_prefix(a, {0xff}, 8))
        return c::multicast;
    if (!has_prefix(a, {0x20}, 3)) // outside global unicast: reserved by the IETF
        return c::reserved;
    return c::global;
}

/// `address` as IPv4 if it is IPv4 or IPv4-mapped, for comparing with IPv4 ranges.
inline bool as_v4(const boost::asio::ip::address& address, std::uint32_t& out) noexcept {
    if (address.is_v4()) {
        out = address.to_v4().to_uint();
        return true;
    }
    const auto v6 = address.to_v6();
    if (!v6.is_v4_mapped())
        return false;
    out = embedded_v4(v6.to_bytes(), 12);
    return true;
}

} // namespace detail

inline address_class classify_address(const boost::asio::ip::address& address) noexcept {
    if (address.is_v4())
        return detail::classify_v4(address.to_v4().to_uint());
    return detail::classify_v6(address.to_v6().to_bytes());
}

inline const char* to_string(address_class c) noexcept {
    switch (c) {
    case address_class::global:
        return "public";
    case address_class::unspecified:
        return "unspecified (\"this network\")";
    case address_class::loopback:
        return "loopback";
    case address_class::private_network:
        return "private (RFC 1918)";
    case address_class::shared_address:
        return "carrier-grade NAT (RFC 6598)";
    case address_class::link_local:
        return "link-local";
    case address_class::ietf_protocol:
        return "reserved for IETF protocol assignments";
    case address_class::documentation:
        return "reserved for documentation";
    case address_class::relay_anycast:
        return "6to4 relay anycast (RFC 7526)";
    case address_class::benchmarking:
        return "reserved for benchmarking";
    case address_class::multicast:
        return "multicast";
    case address_class::reserved:
        return "reserved";
    case address_class::broadcast:
        return "broadcast";
    case address_class::unique_local:
        return "unique local (RFC 4193)";
    case address_class::site_local:
        return "site-local (deprecated)";
    case address_class::discard_only:
        return "discard-only (RFC 6666)";
    case address_class::local_nat64:
        return "local-use NAT64 (RFC 8215)";
    }
    return "unknown"; // a value cast from outside the enumeration
}

// --- ip_range

namespace detail {

/// Why `network/prefix_length` is not a range, or nullptr.
inline const char* ip_range_problem(const boost::asio::ip::address& network,
                                    unsigned prefix_length) noexcept {
    if (network.is_v4()) {
        if (prefix_length > 32)
            return "prefix length above 32";
        const std::uint32_t a = network.to_v4().to_uint();
        if ((a & ipv4_mask(prefix_length)) != a)
            return "address has bits set beyond the prefix length";
        return nullptr;
    }
    if (prefix_length > 128)
        return "prefix length above 128";
    const auto v6 = network.to_v6();
    if (v6.scope_id() != 0)
        return "IPv6 scope id";
    const auto bytes = v6.to_bytes();
    for (unsigned bit = prefix_length; bit < 128; ++bit)
        if (bytes[bit / 8] & (0x80u >> (bit % 8)))
            return "address has bits set beyond the prefix length";
    return nullptr;
}

[[noreturn]] inline void throw_ip_range_error(std::string what) {
    boost::throw_exception(
        boost::system::system_error(make_error_code(boost::system::errc::invalid_argument), what));
}

} // namespace detail

inline ip_range::ip_range(const boost::asio::ip::address& network, unsigned prefix_length)
    : network_(network), prefix_length_(prefix_length) {
    if (const char* problem = detail::ip_range_problem(network, prefix_length))
        detail::throw_ip_range_error("IP range " + network.to_string() + "/" +
                                     std::to_string(prefix_length) + ": " + problem);
}

inline const char* ip_range::parse_into(std::string_view text, ip_range& out) {
    const std::size_t slash = text.find('/');
    const std::string_view address_text = text.substr(0, slash);
    if (address_text.empty())
        return "no address";
    if (address_text.find('%') != std::string_view::npos)
        return "IPv6 scope id";
    boost::system::error_code ec;
    // make_address is strict (inet_pton): no shortened "1.2.3", no blanks, no hex.
    out.network_ = boost::asio::ip::make_address(std::string(address_text), ec);
    if (ec)
        return "not an IPv4 or IPv6 address";
    if (slash == std::string_view::npos) {
        out.prefix_length_ = out.network_.is_v4() ? 32 : 128;
        return nullptr;
    }
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3)
        return "prefix length is not a number from 0 to 128";
    out.prefix_length_ = 0;
    for (const char ch : digits) {
        if (ch < '0' || ch > '9')
            return "prefix length is not a number from 0 to 128";
        out.prefix_length_ = out.prefix_length_ * 10 + static_cast<unsigned>(ch - '0');
    }
    return detail::ip_range_problem(out.network_, out.prefix_length_);
}

inline boost::system::result<ip_range> ip_range::parse(std::string_view text) {
    ip_range r;
    if (parse_into(text, r))
        return boost::system::error_code(make_error_code(boost::system::errc::invalid_argument));
    return r;
}

inline ip_range::ip_range(std::string_view text) {
    if (const char* problem = parse_into(text, *this))
        detail::throw_ip_range_error("IP range \"" + std::string(text) + "\": " + problem);
}

inline bool ip_range::contains(const boost::asio::ip::address& address) const noexcept {
    if (network_.is_v4()) {
        std::uint32_t a = 0;
        if (!detail::as_v4(address, a))
            return false;
        return (a & detail::ipv4_mask(prefix_length_)) == network_.to_v4().to_uint();
    }
    if (!address.is_v6())
        return false;
    const auto a = address.to_v6().to_bytes();
    const auto n = network_.to_v6().to_bytes();
    unsigned bits = prefix_length_;
    for (std::size_t i = 0; bits > 0; ++i) {
        const unsigned take = bits >= 8 ? 8 : bits;
        const auto mask = static_cast<unsigned char>(0xff << (8 - take));
        if ((a[i] & mask) != n[i]) // n's bits beyond the prefix are zero
            return false;
        bits -= take;
    }
    return true;
}

inline std::string ip_range::to_string() const {
    return network_.to_string() + "/" + std::to_string(prefix_length_);
}

inline bool destination_policy::permits(const boost::asio::ip::address& address) const noexcept {
    if (!public_only || classify_address(address) == address_class::global)
        return true;
    for (const auto& range : allow)
        if (range.contains(address))
            return true;
    return false;
}

} // namespace webhook

#endif
