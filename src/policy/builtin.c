/*
 * builtin.c - the marketplace profiles every database has until one of the
 * same name is loaded: the exact text of examples/policies/amazon.yaml and
 * default.yaml (tests/delivery checks that they stay identical).
 */
#include "policy.h"

static const char amazon_yaml[] =
    "# amazon.yaml - the marketplace profile for orders placed on Amazon.\n"
    "#\n"
    "# Amazon's communication guidelines for sellers (Buyer-Seller Messaging):\n"
    "# only messages that are needed to complete the order or to answer the\n"
    "# buyer; no marketing or promotional content; no links off Amazon; at most\n"
    "# one request for a review per order, sent between 5 and 30 days after the\n"
    "# order was delivered.\n"
    "#\n"
    "# libretain has this profile built in. To change it, edit a copy and load it\n"
    "# with retain_policy_profile_load_file(): a loaded profile replaces the\n"
    "# built-in one of the same name.\n"
    "profile: amazon\n"
    "description: Amazon Buyer-Seller Messaging rules\n"
    "sales_channels: [amazon, \"amazon-*\", \"amazon_*\", \"amazon.*\"]\n"
    "\n"
    "# Nothing outside these categories is ever sent for an Amazon order: no\n"
    "# marketing. A journey that could only send other categories to Amazon\n"
    "# orders is refused when it is loaded.\n"
    "allow_categories: [transactional, service, feedback]\n"
    "\n"
    "payload:\n"
    "  # Removed wherever they appear in a payload: promo codes, promotional\n"
    "  # content, and the store's own unsubscribe data.\n"
    "  remove_keys: [coupon, coupons, promo_code, promo_codes, discount_code, voucher,\n"
    "                recommendations, unsubscribe]\n"
    "  # Links to any other site (a carrier's tracking page, the web shop) are\n"
    "  # removed from the payload.\n"
    "  allow_link_domains: [amazon.com, amazon.ca, amazon.com.mx, amazon.com.br, amazon.co.uk,\n"
    "                       amazon.de, amazon.fr, amazon.it, amazon.es, amazon.nl, amazon.se,\n"
    "                       amazon.pl, amazon.com.be, amazon.com.tr, amazon.ae, amazon.sa,\n"
    "                       amazon.eg, amazon.in, amazon.co.jp, amazon.sg, amazon.com.au]\n"
    "\n"
    "rules:\n"
    "  # Every feedback message to an Amazon buyer is a review request: at most\n"
    "  # one per order, between 5 and 30 days after delivery.\n"
    "  - name: review-request\n"
    "    category: feedback\n"
    "    max_per_order: 1\n"
    "    window:\n"
    "      anchor: delivered\n"
    "      from: 5d\n"
    "      to: 30d\n";

static const char default_yaml[] =
    "# default.yaml - the profile of every sales channel that no other profile\n"
    "# claims (the web shop, point of sale ...): no restrictions beyond the\n"
    "# general policy of consent, quiet hours and frequency caps.\n"
    "#\n"
    "# libretain has this profile built in. Loading a profile named \"default\"\n"
    "# replaces it, for example to keep links in payloads to your own domains:\n"
    "#\n"
    "#   payload:\n"
    "#     allow_link_domains: [shop.example]\n"
    "profile: default\n"
    "description: no marketplace restrictions\n";

const rt_builtin_profile rt_builtin_profiles[] = {
    { "amazon", amazon_yaml },
    { "default", default_yaml },
};

const int rt_builtin_profile_count =
    (int)(sizeof rt_builtin_profiles / sizeof rt_builtin_profiles[0]);
