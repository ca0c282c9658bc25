// Data-location texts: webhook::data_path::parse. Every input is either refused with an
// offset inside the text, or gives a prefix and suffix that wrap any JSON value into a valid
// document exactly `depth()` objects deep, and whose normalized text parses to the same path.
#include <webhook/data_path.hpp>

#include "fuzz_check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = webhook::data_path::parse(text);
    if (!parsed) {
        const webhook::data_path_error& e = parsed.error();
        FUZZ_CHECK(e.code == webhook::error::empty_path_segment ||
                   e.code == webhook::error::control_character_in_path ||
                   e.code == webhook::error::invalid_utf8);
        FUZZ_CHECK(e.offset <= text.size());
        FUZZ_CHECK(e.text == text);
        FUZZ_CHECK(!e.message().empty());
        return 0;
    }
    const webhook::data_path& p = *parsed;
    FUZZ_CHECK(p.empty() == (p.depth() == 0));
    FUZZ_CHECK(p.suffix() == std::string(p.depth(), '}'));

    // Normalization is idempotent.
    const auto again = webhook::data_path::parse(p.text());
    FUZZ_CHECK(again && *again == p && again->prefix() == p.prefix());

    // The wrapping is valid JSON, with the payload exactly depth() levels down, and the
    // segments (unescaped) are the normalized text's.
    const std::string doc = std::string(p.prefix()) + "[1]" + std::string(p.suffix());
    boost::system::error_code ec;
    boost::json::parse_options deep;
    deep.max_depth = p.depth() + 2; // a path may be deeper than Boost.JSON's default 32
    const boost::json::value v = boost::json::parse(doc, ec, {}, deep);
    FUZZ_CHECK(!ec);
    const boost::json::value* at = &v;
    std::string joined;
    for (std::size_t i = 0; i < p.depth(); ++i) {
        const auto* obj = at->if_object();
        FUZZ_CHECK(obj && obj->size() == 1);
        if (i > 0)
            joined += '/';
        joined += std::string_view(obj->begin()->key());
        at = &obj->begin()->value();
    }
    FUZZ_CHECK(at->is_array() && at->as_array().size() == 1);
    FUZZ_CHECK(joined == p.text());
    return 0;
}
