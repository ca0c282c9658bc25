// Boost.JSON and Boost.URL built from their headers, instrumented like the targets.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
