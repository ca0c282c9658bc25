// The one translation unit that compiles Boost.JSON itself, for header-only use without
// linking libboost_json.
#include <boost/json/src.hpp>
