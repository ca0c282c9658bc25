#ifndef WEBHOOK_AUTH_DETAIL_SCHEME_HPP
#define WEBHOOK_AUTH_DETAIL_SCHEME_HPP

/* What an authentication scheme is to `request_authenticator`: one file per scheme in this
   folder, each with a class made from the scheme's options (a member of the `authentication`
   variant, `config/options.hpp`) and a specialization of `auth_scheme` naming it:

       template <> struct auth_scheme<my_options> { using type = my_scheme; };

       struct my_scheme {
           explicit my_scheme(const my_options&);
           // The Authorization header every request carries (or nothing).
           void authorize(request_headers& headers) const;
           // True when requests carry a token that a request of its own obtains first; the
           // scheme then also has `token_request`, `token_origin`, `read_token` and
           // `refresh_skew` (see oauth2_client_credentials.hpp).
           static constexpr bool needs_token = false;
       };

   `authenticator.hpp` includes the scheme files; the variant of schemes follows the variant of
   options by itself. */
namespace webhook::detail {

template <class Options>
struct auth_scheme; // each scheme's file specializes it

template <class Options>
using auth_scheme_t = typename auth_scheme<Options>::type;

} // namespace webhook::detail

#endif
