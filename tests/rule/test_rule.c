/*
 * test_rule.c - the rule language, table-driven: (source, bindings,
 * expected value or expected error with line:column). Expected values
 * follow docs/rules.md and were worked out by hand; instants come from the
 * published DST dates (see test_tz.c).
 *
 * Fixtures (bound through the public API only):
 *   X0  nothing bound; now = 2024-06-03T12:00:00Z (a Monday); zone UTC
 *   X1  a typical customer with an order in EUR, a shipment, an event,
 *       attributes, consent and vars; zone Europe/Berlin
 *   X2  an order in JPY (no minor unit), a CLV in USD; zone Asia/Tokyo
 */
#include "util.h"
#include "rule/rule_impl.h" /* white box: the bytecode of typical rules */

#define NOW 1717416000000LL /* 2024-06-03T12:00:00Z */
#define H_ 3600000LL
#define D_ 86400000LL

enum { X0, X1, X2 };
#define BOOLOPT 1 /* compile with RETAIN_RULE_BOOL */

typedef struct tcase {
    const char *src;
    int fx;
    const char *want; /* see util.h; "E:CODE:line:col" compile error, "R:..." run error */
    int flags;
    int64_t now;      /* 0: NOW */
    const char *tz;   /* NULL: the fixture's zone */
} tcase;

static const tcase cases[] = {
    /* --- literals --- */
    { "42", X0, "i:42", 0, 0, NULL },
    { "-7", X0, "i:-7", 0, 0, NULL },
    { "0", X0, "i:0", 0, 0, NULL },
    { "9223372036854775807", X0, "i:9223372036854775807", 0, 0, NULL },
    { "2.5", X0, "f:2.5", 0, 0, NULL },
    { "1e3", X0, "f:1000", 0, 0, NULL },
    { "2.5e-1", X0, "f:0.25", 0, 0, NULL },
    { "50.00", X0, "f:50", 0, 0, NULL },
    { "50.00 EUR", X0, "m:5000:EUR:2", 0, 0, NULL },
    { "50 EUR", X0, "m:5000:EUR:2", 0, 0, NULL },
    { "50.5 EUR", X0, "m:5050:EUR:2", 0, 0, NULL },
    { "50.00 JPY", X0, "m:50:JPY:0", 0, 0, NULL },
    { "1.234 BHD", X0, "m:1234:BHD:3", 0, 0, NULL },
    { "-3.50 USD", X0, "m:-350:USD:2", 0, 0, NULL },
    { "90s", X0, "d:90000", 0, 0, NULL },
    { "30m", X0, "d:1800000", 0, 0, NULL },
    { "2h", X0, "d:7200000", 0, 0, NULL },
    { "3d", X0, "d:259200000", 0, 0, NULL },
    { "2w", X0, "d:1209600000", 0, 0, NULL },
    { "500ms", X0, "d:500", 0, 0, NULL },
    { "1h30m", X0, "d:5400000", 0, 0, NULL },
    { "1.5h", X0, "d:5400000", 0, 0, NULL },
    { "0.5s", X0, "d:500", 0, 0, NULL },
    { "-2h", X0, "d:-7200000", 0, 0, NULL },
    { "\"hello\"", X0, "s:hello", 0, 0, NULL },
    { "'single'", X0, "s:single", 0, 0, NULL },
    { "\"tab\\there\"", X0, "s:tab\there", 0, 0, NULL },
    { "\"quote \\\" and \\\\\"", X0, "s:quote \" and \\", 0, 0, NULL },
    { "\"\\u00e9\"", X0, "s:\xc3\xa9", 0, 0, NULL },
    { "\"\\u{1F600}\"", X0, "s:\xf0\x9f\x98\x80", 0, 0, NULL },
    { "\"\\ud83d\\ude00\"", X0, "s:\xf0\x9f\x98\x80", 0, 0, NULL },
    { "r\"a\\.b\"", X0, "s:a\\.b", 0, 0, NULL },
    { "r'it''", X0, "E:PARSE:1:6", 0, 0, NULL },
    { "\"caf\\u00e9\" == \"caf\xc3\xa9\"", X0, "true", 0, 0, NULL },
    { "\"\"", X0, "s:", 0, 0, NULL },
    { "true", X0, "true", 0, 0, NULL },
    { "false", X0, "false", 0, 0, NULL },
    { "null", X0, "null", 0, 0, NULL },
    { "[1, 2, 3]", X0, "F:[1, 2, 3]", 0, 0, NULL },
    { "[\"a\", \"b\",]", X0, "F:[\"a\", \"b\"]", 0, 0, NULL },
    { "[]", X0, "F:[]", 0, 0, NULL },
    { "[1, 2.5]", X0, "F:[1.0, 2.5]", 0, 0, NULL },
    { "[2h, 30m]", X0, "F:[2h, 30m]", 0, 0, NULL },
    { "1 + # a comment\n 2", X0, "i:3", 0, 0, NULL },

    /* --- int and float arithmetic --- */
    { "1 + 2 * 3", X0, "i:7", 0, 0, NULL },
    { "(1 + 2) * 3", X0, "i:9", 0, 0, NULL },
    { "10 - 4 - 3", X0, "i:3", 0, 0, NULL },
    { "2 * 3 % 4", X0, "i:2", 0, 0, NULL },
    { "7 / 2", X0, "i:3", 0, 0, NULL },
    { "-7 / 2", X0, "i:-3", 0, 0, NULL },
    { "7 % 3", X0, "i:1", 0, 0, NULL },
    { "-7 % 3", X0, "i:-1", 0, 0, NULL },
    { "7 % -3", X0, "i:1", 0, 0, NULL },
    { "7 / 0", X0, "null", 0, 0, NULL },
    { "7 % 0", X0, "null", 0, 0, NULL },
    { "9223372036854775807 + 1", X0, "null", 0, 0, NULL },
    { "-9223372036854775807 - 2", X0, "null", 0, 0, NULL },
    { "4000000000 * 4000000000", X0, "null", 0, 0, NULL },
    { "3000000000 * 3000000000", X0, "i:9000000000000000000", 0, 0, NULL },
    { "1.5 + 2", X0, "f:3.5", 0, 0, NULL },
    { "1 / 2.0", X0, "f:0.5", 0, 0, NULL },
    { "10 / 4.0", X0, "f:2.5", 0, 0, NULL },
    { "5.5 % 2", X0, "f:1.5", 0, 0, NULL },
    { "1.0 / 0", X0, "null", 0, 0, NULL },
    { "1e308 * 10", X0, "null", 0, 0, NULL },
    { "-(3)", X0, "i:-3", 0, 0, NULL },
    { "- -3", X0, "i:3", 0, 0, NULL },
    { "-(2.5 * 2)", X0, "f:-5", 0, 0, NULL },
    { "order.lines_count * 10 + 1", X1, "i:21", 0, 0, NULL },
    { "order.lines_count + 1", X0, "null", 0, 0, NULL },
    { "customer.p_alive * 2", X1, "f:0.84", 0, 0, NULL },
    { "customer.orders_count / 2.0", X1, "f:1.5", 0, 0, NULL },

    /* --- money --- */
    { "order.total + 10.00", X1, "m:7400:EUR:2", 0, 0, NULL },
    { "order.total - 4", X1, "m:6000:EUR:2", 0, 0, NULL },
    { "order.total * 2", X1, "m:12800:EUR:2", 0, 0, NULL },
    { "2 * order.total", X1, "m:12800:EUR:2", 0, 0, NULL },
    { "order.total * 1.5", X1, "m:9600:EUR:2", 0, 0, NULL },
    { "order.total / 3", X1, "m:2133:EUR:2", 0, 0, NULL },
    { "-order.total / 3", X1, "m:-2133:EUR:2", 0, 0, NULL },
    { "order.total / 2.5", X1, "m:2560:EUR:2", 0, 0, NULL },
    { "order.total / customer.revenue", X1, "f:0.256", 0, 0, NULL },
    { "order.total + 0.005", X1, "m:64005:EUR:3", 0, 0, NULL },
    { "order.total + customer.clv", X1, "m:24450:EUR:2", 0, 0, NULL },
    { "50.00 EUR + 1", X0, "m:5100:EUR:2", 0, 0, NULL },
    { "50.00 EUR - 50.00 EUR", X0, "m:0:EUR:2", 0, 0, NULL },
    { "-order.total", X1, "m:-6400:EUR:2", 0, 0, NULL },
    { "order.total + customer.clv", X2, "null", 0, 0, NULL },
    { "order.total / 0", X1, "null", 0, 0, NULL },
    { "order.total + 100", X2, "m:5100:JPY:0", 0, 0, NULL },
    { "order.total * 0.333", X2, "m:1665:JPY:0", 0, 0, NULL },
    { "order.total + 10.00", X0, "null", 0, 0, NULL },
    { "50.00 EUR + 5.00 USD", X0, "E:PARSE:1:11", 0, 0, NULL },
    { "order.total * order.total", X1, "E:PARSE:1:13", 0, 0, NULL },
    { "order.total + 1.5 * 2", X1, "E:PARSE:1:13", 0, 0, NULL },
    { "order.total + order.lines_count", X1, "E:PARSE:1:13", 0, 0, NULL },
    { "order.total % 2", X1, "E:PARSE:1:13", 0, 0, NULL },

    /* --- times and durations --- */
    { "now() - order.placed_at", X1, "d:432000000", 0, 0, NULL },
    { "order.placed_at + 5d == now()", X1, "true", 0, 0, NULL },
    { "now() - 1h == event.at", X1, "true", 0, 0, NULL },
    { "shipment.eta - shipment.promised_at", X1, "d:345600000", 0, 0, NULL },
    { "now() + 1d", X0, "t:1717502400000", 0, 0, NULL },
    { "1d + now()", X0, "t:1717502400000", 0, 0, NULL },
    { "2h + 30m", X0, "d:9000000", 0, 0, NULL },
    { "2h * 3", X0, "d:21600000", 0, 0, NULL },
    { "3 * 2h", X0, "d:21600000", 0, 0, NULL },
    { "2h / 4", X0, "d:1800000", 0, 0, NULL },
    { "3h / 2h", X0, "f:1.5", 0, 0, NULL },
    { "90m % 1h", X0, "d:1800000", 0, 0, NULL },
    { "1h * 1.5", X0, "d:5400000", 0, 0, NULL },
    { "1.5 * 1h", X0, "d:5400000", 0, 0, NULL },
    { "1h / 0", X0, "null", 0, 0, NULL },
    { "now() + now()", X0, "E:PARSE:1:7", 0, 0, NULL },
    { "now() + 1", X0, "E:PARSE:1:7", 0, 0, NULL },
    { "2h + 1", X0, "E:PARSE:1:4", 0, 0, NULL },
    { "2h > 90m", X0, "true", 0, 0, NULL },
    { "1d == 24h", X0, "true", 0, 0, NULL },
    { "order.placed_at < now()", X1, "true", 0, 0, NULL },
    { "shipment.eta > now()", X1, "true", 0, 0, NULL },

    /* --- comparisons --- */
    { "1 < 2", X0, "true", 0, 0, NULL },
    { "2 <= 2", X0, "true", 0, 0, NULL },
    { "3 > 4", X0, "false", 0, 0, NULL },
    { "3 >= 4", X0, "false", 0, 0, NULL },
    { "1 == 1.0", X0, "true", 0, 0, NULL },
    { "1 != 1", X0, "false", 0, 0, NULL },
    { "2.5 > 2", X0, "true", 0, 0, NULL },
    { "0.1 + 0.2 == 0.3", X0, "false", 0, 0, NULL },
    { "\"abc\" < \"abd\"", X0, "true", 0, 0, NULL },
    { "\"B\" < \"a\"", X0, "true", 0, 0, NULL },
    { "\"\xc3\xa9\" > \"z\"", X0, "true", 0, 0, NULL },
    { "\"abc\" == \"abc\"", X0, "true", 0, 0, NULL },
    { "\"abc\" != \"ab\"", X0, "true", 0, 0, NULL },
    { "\"ab\" < \"abc\"", X0, "true", 0, 0, NULL },
    { "true == true", X0, "true", 0, 0, NULL },
    { "true != false", X0, "true", 0, 0, NULL },
    { "true < false", X0, "E:PARSE:1:6", 0, 0, NULL },
    { "order.total >= 50.00", X1, "true", 0, 0, NULL },
    { "order.total == 64", X1, "true", 0, 0, NULL },
    { "order.total > 64.001", X1, "false", 0, 0, NULL },
    { "order.total < 64.001", X1, "true", 0, 0, NULL },
    { "order.total == 64.00 EUR", X1, "true", 0, 0, NULL },
    { "order.total == 64.00 USD", X1, "false", 0, 0, NULL },
    { "order.total != 64.00 USD", X1, "false", 0, 0, NULL },
    { "customer.clv < customer.revenue", X1, "true", 0, 0, NULL },
    { "order.total >= 50.00", X2, "true", 0, 0, NULL },
    { "order.total == 5000", X2, "true", 0, 0, NULL },
    { "order.total == 5000.00", X2, "true", 0, 0, NULL },
    { "order.total < 5000.01", X2, "true", 0, 0, NULL },
    { "order.total > 4999.999", X2, "true", 0, 0, NULL },
    { "order.total > 50.00 EUR", X2, "false", 0, 0, NULL },
    { "order.total == 5000 JPY", X2, "true", 0, 0, NULL },
    { "customer.clv > 1000", X2, "true", 0, 0, NULL },
    { "customer.clv > order.total", X2, "false", 0, 0, NULL },
    { "50.00 EUR < 60.00 USD", X0, "E:PARSE:1:11", 0, 0, NULL },
    { "order.total > 5", X0, "false", 0, 0, NULL },
    { "order.total < 5", X0, "false", 0, 0, NULL },
    { "order.total == 5", X0, "false", 0, 0, NULL },
    { "order.total != 5", X0, "false", 0, 0, NULL },
    { "order.total == null", X0, "true", 0, 0, NULL },
    { "order.total != null", X0, "false", 0, 0, NULL },
    { "null == order.total", X0, "true", 0, 0, NULL },
    { "null == null", X0, "true", 0, 0, NULL },
    { "order.coupon == null", X1, "false", 0, 0, NULL },
    { "shipment.delivered_at == null", X1, "true", 0, 0, NULL },
    { "shipment.exception != null", X1, "false", 0, 0, NULL },
    { "order.total > null", X1, "E:PARSE:1:13", 0, 0, NULL },
    { "order.channel == \"web\"", X1, "true", 0, 0, NULL },
    { "order.channel != \"web\"", X1, "false", 0, 0, NULL },
    { "order.channel < \"x\"", X1, "true", 0, 0, NULL },
    { "customer.p_alive < 0.5", X1, "true", 0, 0, NULL },
    { "customer.p_alive < 0.3 or customer.days_since_last_order > 90", X1, "false", 0, 0, NULL },
    { "customer.p_alive < 0.3", X0, "false", 0, 0, NULL },
    { "customer.orders_count == 3", X1, "true", 0, 0, NULL },
    { "journey.variant == \"B\" and journey.step == \"wait_delivery\"", X1, "true", 0, 0, NULL },
    { "journey.entered_at < now() - 1d", X1, "true", 0, 0, NULL },
    { "event.name == \"order.shipped\"", X1, "true", 0, 0, NULL },

    /* --- values of type any (attributes, event properties) --- */
    { "customer.attr.tier == \"gold\"", X1, "true", 0, 0, NULL },
    { "customer.attr.score > 5", X1, "true", 0, 0, NULL },
    { "customer.attr.score == 7", X1, "true", 0, 0, NULL },
    { "customer.attr.ratio < 1", X1, "true", 0, 0, NULL },
    { "customer.attr.tier > 5", X1, "false", 0, 0, NULL },
    { "customer.attr.missing == \"x\"", X1, "false", 0, 0, NULL },
    { "customer.attr.missing == null", X1, "true", 0, 0, NULL },
    { "customer.attr.vip == true", X1, "true", 0, 0, NULL },
    { "customer.attr.score == customer.attr.score", X1, "true", 0, 0, NULL },
    { "customer.attr.tier == customer.attr.score", X1, "false", 0, 0, NULL },
    { "customer.attr.score * 2", X1, "f:14", 0, 0, NULL },
    { "customer.attr.score + customer.attr.ratio", X1, "f:7.75", 0, 0, NULL },
    { "customer.attr[\"first-name\"] == \"Zo\xc3\xab\"", X1, "true", 0, 0, NULL },
    { "customer.attr.name == \"Zo\xc3\xab\"", X1, "true", 0, 0, NULL },
    { "event.props.rating <= 6", X1, "true", 0, 0, NULL },
    { "event.props.comment == \"Sch\xc3\xb6n!\"", X1, "true", 0, 0, NULL },
    { "event.props[\"rating\"] >= 4", X1, "true", 0, 0, NULL },
    { "event.props.rating", X1, "i:4", 0, 0, NULL },
    { "customer.attr.vip", X0, "null", 0, 0, NULL },
    { "-customer.attr.score", X1, "f:-7", 0, 0, NULL },
    { "\"b\" in customer.attr.tags", X1, "true", 0, 0, NULL },
    { "customer.attr.tier in [\"gold\", \"silver\"]", X1, "true", 0, 0, NULL },
    { "customer.attr.score in [7, 8]", X1, "true", 0, 0, NULL },

    /* --- declared vars --- */
    { "order.lines_count < vars.threshold", X1, "true", 0, 0, NULL },
    { "order.total >= vars.min_total", X1, "true", 0, 0, NULL },
    { "order.channel in vars.channels", X1, "true", 0, 0, NULL },
    { "vars.ratio * 2", X1, "f:4", 0, 0, NULL },
    { "vars.flag", X1, "null", 0, 0, NULL },
    { "vars.flag ?? true", X1, "true", 0, 0, NULL },
    { "vars.threshold", X0, "null", 0, 0, NULL },
    { "vars.nope > 1", X1, "E:PARSE:1:1", 0, 0, NULL },
    { "vars.treshold > 1", X1, "E:PARSE:1:1", 0, 0, NULL },

    /* --- logic --- */
    { "true and false", X0, "false", 0, 0, NULL },
    { "true or false", X0, "true", 0, 0, NULL },
    { "not true", X0, "false", 0, 0, NULL },
    { "not false", X0, "true", 0, 0, NULL },
    { "true and true and true", X0, "true", 0, 0, NULL },
    { "false or false or true", X0, "true", 0, 0, NULL },
    { "not 1 == 2", X0, "true", 0, 0, NULL },
    { "1 == 1 and 2 == 2 or false", X0, "true", 0, 0, NULL },
    { "false and false or true", X0, "true", 0, 0, NULL },
    { "true or true and false", X0, "true", 0, 0, NULL },
    { "not (true and false)", X0, "true", 0, 0, NULL },
    { "not not true", X0, "true", 0, 0, NULL },
    { "1 == 2 and 1 / 0 == 1", X0, "false", 0, 0, NULL },
    { "customer.consent.push", X1, "null", 0, 0, NULL },
    { "not customer.consent.push", X1, "null", 0, 0, NULL },
    { "customer.consent.push and false", X1, "false", 0, 0, NULL },
    { "customer.consent.push and true", X1, "null", 0, 0, NULL },
    { "customer.consent.push or true", X1, "true", 0, 0, NULL },
    { "customer.consent.push or false", X1, "null", 0, 0, NULL },
    { "false and customer.consent.push", X1, "false", 0, 0, NULL },
    { "true or customer.consent.push", X1, "true", 0, 0, NULL },
    { "true and customer.consent.push", X1, "null", 0, 0, NULL },
    { "customer.consent.sms and not customer.consent.email", X1, "true", 0, 0, NULL },
    { "customer.consent.sms.marketing ?? false", X1, "false", 0, 0, NULL },
    { "customer.attr.vip and true", X1, "true", 0, 0, NULL },
    { "customer.attr.tier and true", X1, "null", 0, 0, NULL },
    { "order.total > 10 and order.total < 100 and order.channel == \"web\"", X1, "true", 0, 0, NULL },
    { "order.total > 10 and order.total < 50 and order.channel == \"web\"", X1, "false", 0, 0, NULL },
    { "order.total < 10 or order.total > 50 or order.channel == \"x\"", X1, "true", 0, 0, NULL },
    { "(order.total > 10 or order.lines_count > 5) and (order.channel == \"pos\" or "
      "customer.orders_count > 2)", X1, "true", 0, 0, NULL },
    { "(order.total > 100 or order.lines_count > 5) and customer.orders_count > 2", X1, "false", 0, 0, NULL },
    { "order.total > 10 and customer.consent.push", X1, "null", 0, 0, NULL },
    { "customer.consent.push and order.total > 10 and order.total < 20", X1, "false", 0, 0, NULL },

    /* --- in --- */
    { "order.channel in [\"web\", \"pos\"]", X1, "true", 0, 0, NULL },
    { "order.channel not in [\"web\", \"pos\"]", X1, "false", 0, 0, NULL },
    { "\"SKU-2\" in order.skus", X1, "true", 0, 0, NULL },
    { "\"SKU-3\" in order.skus", X1, "false", 0, 0, NULL },
    { "\"SKU-3\" not in order.skus", X1, "true", 0, 0, NULL },
    { "2 in [1, 2, 3]", X0, "true", 0, 0, NULL },
    { "2.0 in [1, 2, 3]", X0, "true", 0, 0, NULL },
    { "4 in [1, 2.5]", X0, "false", 0, 0, NULL },
    { "order.coupon in [\"WELCOME10\"]", X1, "true", 0, 0, NULL },
    { "order.channel in [\"web\"]", X0, "false", 0, 0, NULL },
    { "order.channel not in [\"web\"]", X0, "false", 0, 0, NULL },
    { "\"x\" in order.skus", X0, "false", 0, 0, NULL },
    { "order.channel in [order.channel, \"x\"]", X1, "true", 0, 0, NULL },
    { "1 in []", X0, "false", 0, 0, NULL },
    { "2h in [1h, 2h]", X0, "true", 0, 0, NULL },
    { "1 in \"abc\"", X0, "E:PARSE:1:6", 0, 0, NULL },
    { "order.skus in order.skus", X1, "E:PARSE:1:1", 0, 0, NULL },
    { "order.total in [64.00, 10]", X1, "E:PARSE:1:13", 0, 0, NULL },
    { "\"a\" in [1, 2]", X0, "E:PARSE:1:5", 0, 0, NULL },

    /* --- regular expressions --- */
    { "customer.email =~ \"@example\\\\.com$\"", X1, "false", 0, 0, NULL },
    { "customer.email =~ \"(?i)@example\\\\.com$\"", X1, "true", 0, 0, NULL },
    { "lower(customer.email) =~ \"@example\\\\.com$\"", X1, "true", 0, 0, NULL },
    { "customer.email !~ \"^ada\"", X1, "true", 0, 0, NULL },
    { "customer.email =~ r\"^Ada@\\w+\\.com$\"", X1, "true", 0, 0, NULL },
    { "\"\xc3\xa9\" =~ \"^.$\"", X0, "true", 0, 0, NULL },
    { "\"\xe6\x97\xa5\xe6\x9c\xac\" =~ \"^\\\\p{Han}+$\"", X0, "true", 0, 0, NULL },
    { "customer.email =~ \"x\"", X0, "false", 0, 0, NULL },
    { "customer.email !~ \"x\"", X0, "false", 0, 0, NULL },
    { "customer.attr.tier =~ \"^g\"", X1, "true", 0, 0, NULL },
    { "customer.attr.score =~ \"7\"", X1, "false", 0, 0, NULL },
    { "customer.email =~ \"(\"", X1, "E:PARSE:1:21", 0, 0, NULL },
    { "customer.email =~ \"ab)\"", X1, "E:PARSE:1:22", 0, 0, NULL },
    { "customer.email =~ \"\\\\ab)\"", X1, "E:PARSE:1:24", 0, 0, NULL },
    { "customer.email =~ r\"\\ab)\"", X1, "E:PARSE:1:24", 0, 0, NULL },
    { "customer.email =~ \"\\\\C\"", X1, "E:PARSE:1:0", 0, 0, NULL },
    { "customer.email =~ order.channel", X1, "E:PARSE:1:19", 0, 0, NULL },
    { "customer.email =~ 5", X1, "E:PARSE:1:19", 0, 0, NULL },
    { "5 =~ \"a\"", X0, "E:PARSE:1:1", 0, 0, NULL },

    /* --- ?? --- */
    { "order.total ?? 0", X0, "m:0::0", 0, 0, NULL },
    { "order.total ?? 0", X1, "m:6400:EUR:2", 0, 0, NULL },
    { "order.coupon ?? \"none\"", X0, "s:none", 0, 0, NULL },
    { "order.coupon ?? \"none\"", X1, "s:WELCOME10", 0, 0, NULL },
    { "customer.p_alive ?? 1", X0, "f:1", 0, 0, NULL },
    { "customer.attr.score ?? 0", X1, "f:7", 0, 0, NULL },
    { "customer.attr.score ?? 0", X0, "f:0", 0, 0, NULL },
    { "null ?? 3", X0, "i:3", 0, 0, NULL },
    { "null ?? null", X0, "null", 0, 0, NULL },
    { "1 ?? 2 ?? 3", X0, "i:1", 0, 0, NULL },
    { "null ?? null ?? 3", X0, "i:3", 0, 0, NULL },
    { "customer.p_alive ?? 1.0 < 0.3", X1, "false", 0, 0, NULL },
    { "customer.p_alive ?? 0.1 < 0.3", X0, "true", 0, 0, NULL },
    { "(order.lines_count ?? 0) + 1", X0, "i:1", 0, 0, NULL },
    { "order.coupon ?? 5", X1, "E:PARSE:1:14", 0, 0, NULL },

    /* --- builtins: time --- */
    { "now()", X0, "t:1717416000000", 0, 0, NULL },
    { "days_since(order.placed_at)", X1, "i:5", 0, 0, NULL },
    { "days_since(shipment.eta)", X1, "i:-1", 0, 0, NULL },
    { "days_since(now() - 36h)", X0, "i:1", 0, 0, NULL },
    { "days_since(now() + 1h)", X0, "i:-1", 0, 0, NULL },
    { "hours_since(event.at)", X1, "i:1", 0, 0, NULL },
    { "hours_since(now() - 90m)", X0, "i:1", 0, 0, NULL },
    { "days_since(shipment.delivered_at)", X1, "null", 0, 0, NULL },
    { "customer.days_since_last_order", X1, "i:40", 0, 0, NULL },
    { "customer.days_since_last_order", X0, "null", 0, 0, NULL },
    { "customer.days_since_last_order > 30", X1, "true", 0, 0, NULL },
    { "days_since(shipment.promised_at) > 2 and shipment.status != \"delivered\"", X1, "true", 0, 0, NULL },
    { "days_since(customer.attr.tier)", X1, "null", 0, 0, NULL },
    { "days_since(5)", X0, "E:PARSE:1:12", 0, 0, NULL },
    { "now(1)", X0, "E:PARSE:1:1", 0, 0, NULL },

    /* --- local time, DST --- */
    { "local_hour(now())", X1, "i:14", 0, 0, NULL },
    { "local_weekday(now())", X1, "i:1", 0, 0, NULL },
    { "local_hour(now())", X0, "i:12", 0, 0, NULL },
    { "local_hour(event.at)", X1, "i:13", 0, 0, NULL },
    { "local_hour(shipment.delivered_at)", X1, "null", 0, 0, NULL },
    { "local_hour(now())", X0, "i:1", 0, 1710052200000LL, "America/New_York" },
    { "local_hour(now())", X0, "i:3", 0, 1710054000000LL, "America/New_York" },
    { "local_weekday(now())", X0, "i:7", 0, 1710054000000LL, "America/New_York" },
    { "local_hour(now())", X0, "i:1", 0, 1730611800000LL, "America/New_York" },
    { "local_hour(now())", X0, "i:1", 0, 1730615400000LL, "America/New_York" },
    { "local_hour(now())", X0, "i:2", 0, 1730617200000LL, "America/New_York" },
    { "local_hour(now())", X0, "i:1", 0, 1711846740000LL, "Europe/Berlin" },
    { "local_hour(now())", X0, "i:3", 0, 1711846800000LL, "Europe/Berlin" },
    { "local_hour(now())", X0, "i:2", 0, 1729989000000LL, "Europe/Berlin" },
    { "local_hour(now())", X0, "i:2", 0, 1729992600000LL, "Europe/Berlin" },
    { "local_hour(now())", X0, "i:2", 0, 1712419140000LL, "Australia/Sydney" },
    { "local_weekday(now())", X0, "i:7", 0, 1712419140000LL, "Australia/Sydney" },
    { "local_hour(now())", X0, "i:2", 0, 1712419200000LL, "Australia/Sydney" },
    { "local_weekday(now())", X0, "i:2", 0, 1717425000000LL, "Australia/Sydney" },
    { "local_weekday(now())", X0, "i:7", 0, 1717380000000LL, "America/New_York" },
    { "local_hour(now())", X0, "i:17", 0, NOW, "Asia/Kolkata" },
    { "local_hour(now())", X0, "i:23", 0, 1717438440000LL, "Asia/Kathmandu" },
    { "local_hour(now())", X0, "i:0", 0, 1717438500000LL, "Asia/Kathmandu" },
    { "local_weekday(now())", X0, "i:2", 0, 1717438500000LL, "Asia/Kathmandu" },
    { "local_hour(now())", X0, "i:1", 0, 1728142140000LL, "Australia/Lord_Howe" },
    { "local_hour(now())", X0, "i:2", 0, 1728142200000LL, "Australia/Lord_Howe" },
    { "local_hour(now())", X0, "i:3", 0, 4108690800000LL, "America/New_York" },
    { "local_hour(now())", X0, "i:1", 0, 4108690740000LL, "America/New_York" },
    { "local_hour(now()) >= 22 or local_hour(now()) < 8", X0, "true", 0, 1717380000000LL,
      "America/New_York" },

    /* --- builtins: text --- */
    { "lower(\"\xc3\x80\xc3\x89\xc3\x8e \xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9\")", X0,
      "s:\xc3\xa0\xc3\xa9\xc3\xae \xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9", 0, 0, NULL },
    { "upper(\"stra\xc3\x9f" "e\")", X0, "s:STRA\xc3\x9f" "E", 0, 0, NULL },
    { "upper(\"\xc3\xbf\")", X0, "s:\xc5\xb8", 0, 0, NULL },
    { "lower(\"\xce\x91\xce\x92\xce\x93\")", X0, "s:\xce\xb1\xce\xb2\xce\xb3", 0, 0, NULL },
    { "upper(\"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\")", X0,
      "s:\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2", 0, 0, NULL },
    { "upper(\"\xcf\x82\")", X0, "s:\xce\xa3", 0, 0, NULL },
    { "lower(\"\xd4\xb1\xd4\xb2\")", X0, "s:\xd5\xa1\xd5\xa2", 0, 0, NULL },
    { "upper(\"\xc5\x82\xc3\xb3" "d\xc5\xba\")", X0, "s:\xc5\x81\xc3\x93" "D\xc5\xb9", 0, 0, NULL },
    { "lower(customer.email)", X1, "s:ada@example.com", 0, 0, NULL },
    { "upper(\"\xe6\x97\xa5\xe6\x9c\xac a\")", X0, "s:\xe6\x97\xa5\xe6\x9c\xac A", 0, 0, NULL },
    { "lower(order.coupon)", X0, "null", 0, 0, NULL },
    { "lower(5)", X0, "E:PARSE:1:7", 0, 0, NULL },
    { "len(\"h\xc3\xa9llo\")", X0, "i:5", 0, 0, NULL },
    { "len(\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\")", X0, "i:3", 0, 0, NULL },
    { "len(\"\xf0\x9f\x98\x80\")", X0, "i:1", 0, 0, NULL },
    { "len(\"\")", X0, "i:0", 0, 0, NULL },
    { "len(order.skus)", X1, "i:2", 0, 0, NULL },
    { "len([])", X0, "i:0", 0, 0, NULL },
    { "len(customer.attr.tags)", X1, "i:2", 0, 0, NULL },
    { "len(customer.attr.tier)", X1, "i:4", 0, 0, NULL },
    { "len(customer.attr.score)", X1, "null", 0, 0, NULL },
    { "len(order.coupon)", X0, "null", 0, 0, NULL },
    { "len(5)", X0, "E:PARSE:1:5", 0, 0, NULL },
    { "len(\"a\", \"b\")", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "contains(customer.email, \"@\")", X1, "true", 0, 0, NULL },
    { "contains(\"abc\", \"\")", X0, "true", 0, 0, NULL },
    { "contains(\"abc\", \"d\")", X0, "false", 0, 0, NULL },
    { "contains(\"abcabd\", \"abd\")", X0, "true", 0, 0, NULL },
    { "contains(order.skus, \"SKU-1\")", X1, "true", 0, 0, NULL },
    { "contains(order.skus, \"SKU-9\")", X1, "false", 0, 0, NULL },
    { "contains(\"Gr\xc3\xbc\xc3\x9f" "e \xf0\x9f\x98\x80\", \"\xf0\x9f\x98\x80\")", X0, "true", 0, 0, NULL },
    { "starts_with(order.coupon, \"WEL\")", X1, "true", 0, 0, NULL },
    { "ends_with(customer.email, \".com\")", X1, "true", 0, 0, NULL },
    { "starts_with(\"ab\", \"abc\")", X0, "false", 0, 0, NULL },
    { "ends_with(\"abc\", \"\")", X0, "true", 0, 0, NULL },
    { "ends_with(\"abc\", \"bc\")", X0, "true", 0, 0, NULL },
    { "contains(order.coupon, \"X\")", X0, "null", 0, 0, NULL },
    { "starts_with(5, \"a\")", X0, "E:PARSE:1:13", 0, 0, NULL },

    /* --- builtins: numbers and lists --- */
    { "min(3, 1, 2)", X0, "i:1", 0, 0, NULL },
    { "max(3, 1, 2)", X0, "i:3", 0, 0, NULL },
    { "min(1, 2.5)", X0, "f:1", 0, 0, NULL },
    { "max(order.total, 100.00)", X1, "m:10000:EUR:2", 0, 0, NULL },
    { "min(order.total, 100.00)", X1, "m:6400:EUR:2", 0, 0, NULL },
    { "min(order.total, 10)", X2, "m:10:JPY:0", 0, 0, NULL },
    { "min(\"b\", \"a\")", X0, "s:a", 0, 0, NULL },
    { "max(order.placed_at, shipment.promised_at)", X1, "t:1717156800000", 0, 0, NULL },
    { "max(2h, 90m)", X0, "d:7200000", 0, 0, NULL },
    { "min([3, 1, 2])", X0, "i:1", 0, 0, NULL },
    { "max(customer.attr.tags)", X1, "s:b", 0, 0, NULL },
    { "min([])", X0, "null", 0, 0, NULL },
    { "min(1, order.lines_count)", X0, "null", 0, 0, NULL },
    { "max(order.skus)", X1, "s:SKU-2", 0, 0, NULL },
    { "min(true, false)", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "min(1)", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "min()", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "min(50.00 EUR, 40.00 USD)", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "abs(-5)", X0, "i:5", 0, 0, NULL },
    { "abs(-2.5)", X0, "f:2.5", 0, 0, NULL },
    { "abs(-order.total)", X1, "m:6400:EUR:2", 0, 0, NULL },
    { "abs(-2h)", X0, "d:7200000", 0, 0, NULL },
    { "abs(customer.attr.score)", X1, "f:7", 0, 0, NULL },
    { "abs(\"x\")", X0, "E:PARSE:1:5", 0, 0, NULL },
    { "round(2.5)", X0, "i:3", 0, 0, NULL },
    { "round(-2.5)", X0, "i:-3", 0, 0, NULL },
    { "round(2.4)", X0, "i:2", 0, 0, NULL },
    { "round(7)", X0, "i:7", 0, 0, NULL },
    { "round(3.14159, 2)", X0, "f:3.14", 0, 0, NULL },
    { "round(1234.5, -2)", X0, "f:1200", 0, 0, NULL },
    { "round(order.total / 3)", X1, "m:2100:EUR:2", 0, 0, NULL },
    { "round(64.50 EUR)", X0, "m:6500:EUR:2", 0, 0, NULL },
    { "round(-64.50 EUR)", X0, "m:-6500:EUR:2", 0, 0, NULL },
    { "round(1e300)", X0, "null", 0, 0, NULL },
    { "round(1, 2, 3)", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "any(order.skus, \"SKU-2\")", X1, "true", 0, 0, NULL },
    { "any(order.skus, [\"X\", \"SKU-1\"])", X1, "true", 0, 0, NULL },
    { "any(order.skus, [\"X\"])", X1, "false", 0, 0, NULL },
    { "any([], 1)", X0, "false", 0, 0, NULL },
    { "any(order.skus, \"x\")", X0, "false", 0, 0, NULL },
    { "any(customer.attr.tags, \"a\")", X1, "true", 0, 0, NULL },
    { "any(order.skus, 5)", X1, "E:PARSE:1:17", 0, 0, NULL },
    { "any(\"abc\", \"a\")", X0, "E:PARSE:1:5", 0, 0, NULL },

    /* --- conditions (RETAIN_RULE_BOOL) --- */
    { "order.total > 10", X1, "true", BOOLOPT, 0, NULL },
    { "customer.attr.vip", X1, "true", BOOLOPT, 0, NULL },
    { "customer.attr.tier", X1, "null", BOOLOPT, 0, NULL },
    { "null", X1, "null", BOOLOPT, 0, NULL },
    { "order.total", X1, "E:PARSE:1:1", BOOLOPT, 0, NULL },
    { "1 + 1", X1, "E:PARSE:1:1", BOOLOPT, 0, NULL },

    /* --- syntax and name errors --- */
    { "", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "   ", X0, "E:PARSE:1:4", 0, 0, NULL },
    { "1 +", X0, "E:PARSE:1:4", 0, 0, NULL },
    { "(1 + 2", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "1 + 2)", X0, "E:PARSE:1:6", 0, 0, NULL },
    { "[1, 2", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "[1, 2)", X0, "E:PARSE:1:6", 0, 0, NULL },
    { "(1, 2)", X0, "E:PARSE:1:3", 0, 0, NULL },
    { "f(1)", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "lenn(\"x\")", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "customer.emial == \"x\"", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "custmer.email", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "order.totl > 5", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "customer.atr.vip", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "customer.attr", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "x.y", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "1 < 2 < 3", X0, "E:PARSE:1:7", 0, 0, NULL },
    { "1 == 1 != true", X0, "E:PARSE:1:8", 0, 0, NULL },
    { "true AND false", X0, "E:PARSE:1:6", 0, 0, NULL },
    { "true && false", X0, "E:PARSE:1:6", 0, 0, NULL },
    { "true || false", X0, "E:PARSE:1:6", 0, 0, NULL },
    { "!true", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "1 = 1", X0, "E:PARSE:1:3", 0, 0, NULL },
    { "1 ? 2", X0, "E:PARSE:1:3", 0, 0, NULL },
    { "\"abc", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "\"a\\qb\"", X0, "E:PARSE:1:3", 0, 0, NULL },
    { "\"\\u12\"", X0, "E:PARSE:1:2", 0, 0, NULL },
    { "\"\\ud800\"", X0, "E:PARSE:1:2", 0, 0, NULL },
    { "5min", X0, "E:PARSE:1:2", 0, 0, NULL },
    { "5 apples", X0, "E:PARSE:1:3", 0, 0, NULL },
    { "1.5ms", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "50 XYZ", X0, "E:PARSE:1:4", 0, 0, NULL },
    { "50.005 EUR", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "99999999999999999999", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "order.total > 5 and\n  customer.emial == 1", X0, "E:PARSE:2:3", 0, 0, NULL },
    { "order.total > 5\nand ((", X0, "E:PARSE:2:7", 0, 0, NULL },
    { "order.total > 5 ort true", X0, "E:PARSE:1:17", 0, 0, NULL },
    { "\"\xc3\xa9\" == 1", X0, "E:PARSE:1:5", 0, 0, NULL },
    { "\"\xe6\x97\xa5\xe6\x9c\xac\" + 1", X0, "E:PARSE:1:6", 0, 0, NULL },
    { "not", X0, "E:PARSE:1:4", 0, 0, NULL },
    { "1 not 2", X0, "E:PARSE:1:3", 0, 0, NULL },
    { "order.skus == order.skus", X1, "E:PARSE:1:12", 0, 0, NULL },
    { "1 + true", X0, "E:PARSE:1:3", 0, 0, NULL },
    { "\"a\" + \"b\"", X0, "E:PARSE:1:5", 0, 0, NULL },
    { "[1, \"a\"]", X0, "E:PARSE:1:5", 0, 0, NULL },
    { "[[1]]", X0, "E:PARSE:1:2", 0, 0, NULL },
    { "customer.consent.sms > 1", X0, "E:PARSE:1:22", 0, 0, NULL },
    { "-\"x\"", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "not 5", X0, "E:PARSE:1:5", 0, 0, NULL },
    { "5 and true", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "event.props[5]", X0, "E:PARSE:1:13", 0, 0, NULL },
    { "event.props[\"\"]", X0, "E:PARSE:1:13", 0, 0, NULL },
    { "order.", X0, "E:PARSE:1:7", 0, 0, NULL },
    { "\"\xff\"", X0, "E:PARSE:1:2", 0, 0, NULL },
    { "1 + 2 @", X0, "E:PARSE:1:7", 0, 0, NULL },
    { "1 \xc3\xa9", X0, "E:PARSE:1:3", 0, 0, NULL },
    { "order.total >\n\n   \"x\"", X0, "E:PARSE:1:13", 0, 0, NULL },
    { "\n\n  1 +", X0, "E:PARSE:3:6", 0, 0, NULL },
    { ",", X0, "E:PARSE:1:1", 0, 0, NULL },
    { "min(1,,2)", X0, "E:PARSE:1:7", 0, 0, NULL },
    { "min(1 2)", X0, "E:PARSE:1:7", 0, 0, NULL },
    { "()", X0, "E:PARSE:1:2", 0, 0, NULL },
};

/* --- fixtures ---------------------------------------------------------- */

static const retain_rule_var vars[] = {
    { "vars.threshold", RETAIN_TYPE_INT, RETAIN_TYPE_NULL },
    { "vars.min_total", RETAIN_TYPE_MONEY, RETAIN_TYPE_NULL },
    { "vars.channels", RETAIN_TYPE_LIST, RETAIN_TYPE_STRING },
    { "vars.ratio", RETAIN_TYPE_FLOAT, RETAIN_TYPE_NULL },
    { "vars.flag", RETAIN_TYPE_BOOL, RETAIN_TYPE_NULL },
};

static retain_value skus[2], tags[2], channels[2];

static void must(retain_eval_ctx *ctx, int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "binding %s failed: %s\n", what, retain_eval_ctx_errmsg(ctx));
        exit(1);
    }
}

#define SET(f, v)                                                 \
    do {                                                          \
        retain_value v_ = (v);                                    \
        must(ctx, retain_eval_ctx_set(ctx, (f), &v_), #f);        \
    } while (0)
#define BIND(n, v)                                                \
    do {                                                          \
        retain_value v_ = (v);                                    \
        must(ctx, retain_eval_ctx_bind(ctx, (n), &v_), n);        \
    } while (0)

static void fixture(retain_engine *e, retain_eval_ctx *ctx, int fx)
{
    retain_eval_ctx_clear(ctx);
    retain_eval_ctx_set_now(ctx, NOW);
    if (fx == X0) {
        must(ctx, retain_eval_ctx_set_timezone(ctx, e, "UTC"), "tz");
        return;
    }
    if (fx == X2) {
        must(ctx, retain_eval_ctx_set_timezone(ctx, e, "Asia/Tokyo"), "tz");
        SET(RETAIN_FIELD_ORDER_TOTAL, retain_value_money(5000, "JPY"));
        SET(RETAIN_FIELD_ORDER_CURRENCY, retain_value_string("JPY"));
        SET(RETAIN_FIELD_ORDER_CHANNEL, retain_value_string("amazon"));
        SET(RETAIN_FIELD_CUSTOMER_REVENUE, retain_value_money(12000, "JPY"));
        SET(RETAIN_FIELD_CUSTOMER_CLV, retain_value_money(123456, "USD"));
        SET(RETAIN_FIELD_CUSTOMER_ORDERS_COUNT, retain_value_int(1));
        return;
    }
    must(ctx, retain_eval_ctx_set_timezone(ctx, e, "Europe/Berlin"), "tz");
    SET(RETAIN_FIELD_CUSTOMER_ID, retain_value_string("c-1"));
    SET(RETAIN_FIELD_CUSTOMER_EMAIL, retain_value_string("Ada@Example.com"));
    SET(RETAIN_FIELD_CUSTOMER_PHONE, retain_value_string("+4915112345678"));
    SET(RETAIN_FIELD_CUSTOMER_TIMEZONE, retain_value_string("Europe/Berlin"));
    SET(RETAIN_FIELD_CUSTOMER_LOCALE, retain_value_string("de-DE"));
    SET(RETAIN_FIELD_CUSTOMER_ORDERS_COUNT, retain_value_int(3));
    SET(RETAIN_FIELD_CUSTOMER_REVENUE, retain_value_money(25000, "EUR"));
    SET(RETAIN_FIELD_CUSTOMER_FIRST_ORDER_AT, retain_value_time(NOW - 400 * D_));
    SET(RETAIN_FIELD_CUSTOMER_LAST_ORDER_AT, retain_value_time(NOW - 40 * D_));
    SET(RETAIN_FIELD_CUSTOMER_P_ALIVE, retain_value_float(0.42));
    SET(RETAIN_FIELD_CUSTOMER_CLV, retain_value_money(18050, "EUR"));
    SET(RETAIN_FIELD_ORDER_ID, retain_value_string("o-1"));
    SET(RETAIN_FIELD_ORDER_CHANNEL, retain_value_string("web"));
    SET(RETAIN_FIELD_ORDER_TOTAL, retain_value_money(6400, "EUR"));
    SET(RETAIN_FIELD_ORDER_CURRENCY, retain_value_string("EUR"));
    SET(RETAIN_FIELD_ORDER_PLACED_AT, retain_value_time(NOW - 5 * D_));
    SET(RETAIN_FIELD_ORDER_STATUS, retain_value_string("shipped"));
    SET(RETAIN_FIELD_ORDER_LINES_COUNT, retain_value_int(2));
    skus[0] = retain_value_string("SKU-1");
    skus[1] = retain_value_string("SKU-2");
    SET(RETAIN_FIELD_ORDER_SKUS, retain_value_list(skus, 2));
    SET(RETAIN_FIELD_ORDER_COUPON, retain_value_string("WELCOME10"));
    SET(RETAIN_FIELD_SHIPMENT_CARRIER, retain_value_string("dhl"));
    SET(RETAIN_FIELD_SHIPMENT_STATUS, retain_value_string("in_transit"));
    SET(RETAIN_FIELD_SHIPMENT_PROMISED_AT, retain_value_time(NOW - 3 * D_));
    SET(RETAIN_FIELD_SHIPMENT_ETA, retain_value_time(NOW + 1 * D_));
    SET(RETAIN_FIELD_SHIPMENT_DELIVERED_AT, retain_value_time(RETAIN_TIME_NONE));
    SET(RETAIN_FIELD_EVENT_NAME, retain_value_string("order.shipped"));
    SET(RETAIN_FIELD_EVENT_AT, retain_value_time(NOW - H_));
    SET(RETAIN_FIELD_JOURNEY_ENTERED_AT, retain_value_time(NOW - 2 * D_));
    SET(RETAIN_FIELD_JOURNEY_STEP, retain_value_string("wait_delivery"));
    SET(RETAIN_FIELD_JOURNEY_VARIANT, retain_value_string("B"));
    BIND("customer.attr.vip", retain_value_bool(1));
    BIND("customer.attr.tier", retain_value_string("gold"));
    BIND("customer.attr.score", retain_value_int(7));
    BIND("customer.attr.ratio", retain_value_float(0.75));
    BIND("customer.attr.name", retain_value_string("Zo\xc3\xab"));
    BIND("customer.attr.first-name", retain_value_string("Zo\xc3\xab"));
    tags[0] = retain_value_string("a");
    tags[1] = retain_value_string("b");
    BIND("customer.attr.tags", retain_value_list(tags, 2));
    BIND("customer.consent.sms", retain_value_bool(1));
    BIND("customer.consent.email", retain_value_bool(0));
    BIND("event.props.rating", retain_value_int(4));
    BIND("event.props.comment", retain_value_string("Sch\xc3\xb6n!"));
    BIND("vars.threshold", retain_value_int(5));
    BIND("vars.min_total", retain_value_money(3000, "EUR"));
    channels[0] = retain_value_string("web");
    channels[1] = retain_value_string("app");
    BIND("vars.channels", retain_value_list(channels, 2));
    BIND("vars.ratio", retain_value_int(2));
}

static int code_of(const char *name)
{
    static const struct {
        const char *n;
        int c;
    } map[] = { { "PARSE", RETAIN_EPARSE }, { "LIMIT", RETAIN_ELIMIT },
                { "INVAL", RETAIN_EINVAL } };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strncmp(name, map[i].n, strlen(map[i].n)))
            return map[i].c;
    return 1;
}

static void run_case(retain_engine *e, retain_eval_ctx *ctx, const tcase *t, size_t idx)
{
    retain_rule_options o = RETAIN_RULE_OPTIONS_INIT;
    o.vars = vars;
    o.nvars = sizeof vars / sizeof vars[0];
    if (t->flags & BOOLOPT)
        o.flags |= RETAIN_RULE_BOOL;
    retain_rule *r = NULL;
    retain_diag d;
    int rc = retain_rule_compile_ex(&r, e, t->src, strlen(t->src), &o, &d);
    if (t->want[0] == 'E' && t->want[1] == ':') {
        int want_code = code_of(t->want + 2);
        const char *p = strchr(t->want + 2, ':');
        int line = atoi(p + 1), col = atoi(strchr(p + 1, ':') + 1);
        if (rc != want_code || d.line != line || (col && d.column != col) || r != NULL ||
            !d.message[0] || d.code != rc)
            T_FAIL("case %zu `%s`: got %s %d:%d \"%s\", expected %s", idx, t->src,
                   t_status_name(rc), d.line, d.column, d.message, t->want);
        else
            t_passed++;
        /* the engine's message says the same, with the location */
        if (rc == want_code && !strstr(retain_errmsg(e), d.message))
            T_FAIL("case %zu: engine message \"%s\" lacks \"%s\"", idx, retain_errmsg(e),
                   d.message);
        retain_rule_free(r);
        return;
    }
    if (rc) {
        T_FAIL("case %zu `%s`: compile error %s %d:%d %s", idx, t->src, t_status_name(rc), d.line,
               d.column, d.message);
        return;
    }
    fixture(e, ctx, t->fx);
    if (t->now)
        retain_eval_ctx_set_now(ctx, t->now);
    if (t->tz)
        must(ctx, retain_eval_ctx_set_timezone(ctx, e, t->tz), t->tz);
    retain_value v;
    rc = retain_rule_eval(r, ctx, &v);
    char why[600] = "";
    if (rc)
        T_FAIL("case %zu `%s`: eval %s: %s", idx, t->src, t_status_name(rc),
               retain_eval_ctx_errmsg(ctx));
    else if (!t_value_is(&v, t->want, why, sizeof why))
        T_FAIL("case %zu `%s`: %s, expected %s", idx, t->src, why, t->want);
    else
        t_passed++;
    /* retain_rule_test agrees with eval */
    int yes = -1;
    CHECK_INT(retain_rule_test(r, ctx, &yes), RETAIN_OK);
    CHECK_INT(yes, v.type == RETAIN_TYPE_BOOL && v.u.b);
    retain_rule_free(r);
}

/* Messages that must say something specific. */
static void test_messages(retain_engine *e)
{
    static const struct {
        const char *src, *part;
    } m[] = {
        { "customer.emial == \"x\"", "did you mean \"customer.email\"" },
        { "custmer.email", "did you mean \"customer.email\"" },
        { "customer.atr.vip", "did you mean \"customer.attr.vip\"" },
        { "order.totl > 5", "did you mean \"order.total\"" },
        { "shipment.promissed_at", "did you mean \"shipment.promised_at\"" },
        { "lenn(\"x\")", "did you mean len()" },
        { "days_snce(now())", "did you mean days_since()" },
        { "order.total > \"abc\"", "cannot compare money and string" },
        { "customer.email =~ \"(\"", "bad regex: missing closing parenthesis" },
        { "true && false", "use 'and'" },
        { "1 < 2 < 3", "cannot be chained" },
        { "true AND false", "keywords are lower case" },
        { "50 XYZ", "unknown currency \"XYZ\"" },
        { "5min", "unknown unit \"min\"" },
        { "order.total > null", "== null" },
        { "1 in \"abc\"", "contains(" },
        { "\"a\" + \"b\"", "cannot be joined" },
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        retain_rule *r = NULL;
        retain_diag d;
        retain_rule_compile(&r, e, m[i].src, &d);
        if (!strstr(d.message, m[i].part))
            T_FAIL("`%s`: message \"%s\" lacks \"%s\"", m[i].src, d.message, m[i].part);
        else
            t_passed++;
        retain_rule_free(r);
    }
    /* The caret snippet: the line, then a caret under the column. */
    retain_rule *r = NULL;
    retain_diag d;
    retain_rule_compile(&r, e, "order.total > 5 and\n  customer.emial == 1", &d);
    CHECK_STR(d.snippet, "  customer.emial == 1\n  ^");
    retain_rule_compile(&r, e, "\"\xc3\xa9\xc3\xa9\" == 1", &d);
    CHECK_STR(d.snippet, "\"\xc3\xa9\xc3\xa9\" == 1\n     ^");
    /* A long line is shown around the column. */
    char longsrc[400];
    memset(longsrc, ' ', sizeof longsrc);
    memcpy(longsrc + 300, "1 +", 3);
    longsrc[303] = '\0';
    retain_rule_compile(&r, e, longsrc, &d);
    CHECK_INT(d.column, 304);
    CHECK(strlen(d.snippet) < sizeof d.snippet);
    CHECK(!strncmp(d.snippet, "...", 3));
    CHECK(strchr(d.snippet, '^') != NULL);
    /* Rules inside a file: the location is offset by where the rule starts. */
    retain_rule_options o = RETAIN_RULE_OPTIONS_INIT;
    o.line = 12;
    o.column = 11;
    retain_rule_compile_ex(&r, e, "order.totl > 1", 14, &o, &d);
    CHECK_INT(d.line, 12);
    CHECK_INT(d.column, 11);
    retain_rule_compile_ex(&r, e, "1 +\n 2 + x", 9, &o, &d);
    CHECK_INT(d.line, 13);
    CHECK_INT(d.column, 6);
    CHECK(r == NULL);
}

/* Every example of docs/rules.md and DESIGN.md compiles as a condition. */
static void test_doc_examples(retain_engine *e)
{
    static const char *const ex[] = {
        "order.total >= 50.00 and customer.orders_count == 1",
        "order.channel in [\"web\", \"pos\"] and not customer.consent.sms",
        "days_since(shipment.promised_at) > 2 and shipment.status != \"delivered\"",
        "customer.email =~ \"@example\\\\.com$\"",
        "customer.p_alive < 0.3 or customer.days_since_last_order > 90",
        "order.total >= 50.00 and customer.orders_count == 1 and order.channel in [\"web\", \"app\"]",
        "shipment.exception != null or (shipment.eta ?? shipment.promised_at) < now() - 3d",
        "order.channel == \"amazon\" and days_since(shipment.delivered_at) >= 5 and "
        "days_since(shipment.delivered_at) <= 30",
        "any(order.skus, [\"TEA-250\", \"TEA-500\"]) and now() - order.placed_at >= 26d",
        "(customer.p_alive ?? 1.0) < 0.3 and customer.clv > 100.00",
        "event.name == \"feedback.answered\" and event.props.score <= 6",
        "local_hour(now()) >= 9 and local_hour(now()) < 20 and local_weekday(now()) <= 5",
        "customer.attr.tier in [\"gold\", \"platinum\"] or lower(customer.email) =~ "
        "\"@bigcorp\\\\.com$\"",
        "customer.attr.tier > 5",
        "customer.consent.sms.transactional",
    };
    retain_rule_options o = RETAIN_RULE_OPTIONS_INIT;
    o.flags = RETAIN_RULE_BOOL;
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        retain_rule *r = NULL;
        retain_diag d;
        int rc = retain_rule_compile_ex(&r, e, ex[i], strlen(ex[i]), &o, &d);
        if (rc)
            T_FAIL("example `%s`: %d:%d %s", ex[i], d.line, d.column, d.message);
        else
            t_passed++;
        retain_rule_free(r);
    }
}

/* Typical rules compile to a few fused instructions; folding leaves one
 * constant. These shapes are what the benchmark's speed rests on. */
static void test_code_shapes(retain_engine *e)
{
    static const struct {
        const char *src, *code;
    } shapes[] = {
        { "order.total >= 50.00 and customer.orders_count == 1", "CMP_M_FKJ CMP_I_FK RET" },
        { "days_since(shipment.promised_at) > 2 and shipment.status != \"delivered\"",
          "FIELD DAYS_SINCE CMP_I_K JFP CMP_S_FK RET" },
        { "order.channel in [\"web\", \"pos\", \"app\"]", "IN_FK RET" },
        { "customer.email =~ \"@example\\\\.com$\"", "FIELD MATCH RET" },
        { "order.total < 10 or order.total > 50 or order.channel == \"x\"",
          "CMP_M_FKJ CMP_M_FKJ CMP_S_FK RET" },
        { "customer.consent.push and order.total > 1", "DYN COERCE AND CMP_M_FK AND2 RET" },
        { "1 + 2 * 3 == 7 and lower(\"AB\") == \"ab\" and len([1, 2]) == 2", "CONST RET" },
        { "order.coupon ?? \"none\"", "FIELD JNN CONST RET" },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        retain_rule *r = NULL;
        retain_diag d;
        if (retain_rule_compile(&r, e, shapes[i].src, &d)) {
            T_FAIL("`%s`: %s", shapes[i].src, d.message);
            continue;
        }
        char got[256] = "";
        for (size_t k = 0; k < r->ncode; k++) {
            strcat(got, k ? " " : "");
            strcat(got, rt_op_name(r->code[k].op));
        }
        if (strcmp(got, shapes[i].code))
            T_FAIL("`%s` compiles to %s, expected %s", shapes[i].src, got, shapes[i].code);
        else
            t_passed++;
        retain_rule_free(r);
    }
}

/* Argument checks of the public API. */
static void test_api(retain_engine *e)
{
    retain_rule *r = NULL;
    retain_diag d;
    CHECK_INT(retain_rule_compile(NULL, e, "1", &d), RETAIN_EINVAL);
    CHECK_INT(retain_rule_compile(&r, NULL, "1", &d), RETAIN_EINVAL);
    CHECK_INT(retain_rule_compile(&r, e, NULL, &d), RETAIN_EINVAL);
    CHECK_INT(retain_rule_compile(&r, e, "1 + 1", NULL), RETAIN_OK);
    CHECK_INT(retain_rule_type(r, NULL), RETAIN_TYPE_INT);
    CHECK_STR(retain_rule_source(r), "1 + 1");
    retain_rule_free(r);
    retain_rule_free(NULL);
    retain_rule_options bad = RETAIN_RULE_OPTIONS_INIT;
    bad.version = 99;
    CHECK_INT(retain_rule_compile_ex(&r, e, "1", 1, &bad, &d), RETAIN_EINVAL);
    retain_rule_var badvar = { "attr.x", RETAIN_TYPE_INT, RETAIN_TYPE_NULL };
    retain_rule_options o = RETAIN_RULE_OPTIONS_INIT;
    o.vars = &badvar;
    o.nvars = 1;
    CHECK_INT(retain_rule_compile_ex(&r, e, "1", 1, &o, &d), RETAIN_EINVAL);
    retain_rule_var badtype = { "vars.x", (retain_type)77, RETAIN_TYPE_NULL };
    o.vars = &badtype;
    CHECK_INT(retain_rule_compile_ex(&r, e, "1", 1, &o, &d), RETAIN_EINVAL);

    /* What a rule reads. */
    retain_rule_options ov = RETAIN_RULE_OPTIONS_INIT;
    ov.vars = vars;
    ov.nvars = sizeof vars / sizeof vars[0];
    const char *src = "order.total > vars.min_total and customer.attr.tier == \"gold\" and "
                      "order.total < 1000 and local_hour(now()) > 8 and "
                      "customer.days_since_last_order > 3";
    CHECK_OK(e, retain_rule_compile_ex(&r, e, src, strlen(src), &ov, &d));
    const retain_rule_field *f;
    size_t n = retain_rule_fields(r, &f);
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK_STR(f[0].name, "order.total");
        CHECK_INT(f[0].id, RETAIN_FIELD_ORDER_TOTAL);
        CHECK_INT(f[0].type, RETAIN_TYPE_MONEY);
        CHECK_STR(f[1].name, "vars.min_total");
        CHECK_INT(f[1].id, RETAIN_FIELD_NONE);
        CHECK_INT(f[1].type, RETAIN_TYPE_MONEY);
        CHECK_STR(f[2].name, "customer.attr.tier");
        CHECK_INT(f[2].type, RETAIN_TYPE_ANY);
        CHECK_STR(f[3].name, "customer.last_order_at");
    }
    CHECK_INT(retain_rule_needs(r), RETAIN_RULE_NEEDS_NOW | RETAIN_RULE_NEEDS_TIMEZONE);
    CHECK_INT(retain_rule_type(r, NULL), RETAIN_TYPE_BOOL);
    retain_rule_free(r);
    CHECK_OK(e, retain_rule_compile(&r, e, "order.skus", &d));
    retain_type elem;
    CHECK_INT(retain_rule_type(r, &elem), RETAIN_TYPE_LIST);
    CHECK_INT(elem, RETAIN_TYPE_STRING);
    CHECK_INT(retain_rule_needs(r), 0);
    retain_rule_free(r);

    /* Field names. */
    CHECK_STR(retain_field_name(RETAIN_FIELD_ORDER_TOTAL), "order.total");
    CHECK_INT(retain_field_lookup("shipment.eta"), RETAIN_FIELD_SHIPMENT_ETA);
    CHECK_INT(retain_field_lookup("nope"), RETAIN_FIELD_NONE);
    CHECK(retain_field_name(RETAIN_FIELD_COUNT) == NULL);
    CHECK(retain_field_name(RETAIN_FIELD_NONE) == NULL);
    for (int i = 1; i < RETAIN_FIELD_COUNT; i++)
        CHECK_INT(retain_field_lookup(retain_field_name((retain_field)i)), i);

    /* Contexts: binding checks. */
    retain_eval_ctx *ctx = NULL;
    CHECK_INT(retain_eval_ctx_new(NULL, e), RETAIN_EINVAL);
    CHECK_INT(retain_eval_ctx_new(&ctx, NULL), RETAIN_EINVAL);
    CHECK_OK(e, retain_eval_ctx_new(&ctx, e));
    retain_value v = retain_value_string("x");
    CHECK_INT(retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_TOTAL, &v), RETAIN_EINVAL);
    CHECK(strstr(retain_eval_ctx_errmsg(ctx), "order.total is money") != NULL);
    v = retain_value_money(100, "XXX");
    CHECK_INT(retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_TOTAL, &v), RETAIN_EINVAL);
    v = retain_value_money(100, NULL);
    CHECK_INT(retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_TOTAL, &v), RETAIN_EINVAL);
    v = retain_value_stringn("\xff", 1);
    CHECK_INT(retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_ID, &v), RETAIN_EINVAL);
    v = retain_value_int(3);
    CHECK_OK(e, retain_eval_ctx_set(ctx, RETAIN_FIELD_CUSTOMER_P_ALIVE, &v)); /* int -> float */
    CHECK_INT(retain_eval_ctx_set(ctx, RETAIN_FIELD_COUNT, &v), RETAIN_EINVAL);
    CHECK_INT(retain_eval_ctx_set(ctx, (retain_field)-1, &v), RETAIN_EINVAL);
    CHECK_OK(e, retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_ID, NULL));
    retain_value items[2] = { retain_value_string("a"), retain_value_int(1) };
    v = retain_value_list(items, 2);
    CHECK_INT(retain_eval_ctx_set(ctx, RETAIN_FIELD_ORDER_SKUS, &v), RETAIN_EINVAL);
    retain_value nested[1] = { retain_value_list(items, 1) };
    v = retain_value_list(nested, 1);
    CHECK_INT(retain_eval_ctx_bind(ctx, "customer.attr.x", &v), RETAIN_EINVAL);
    v = retain_value_float(1.0 / 0.0);
    CHECK_INT(retain_eval_ctx_bind(ctx, "customer.attr.x", &v), RETAIN_EINVAL);
    v = retain_value_int(1);
    CHECK_INT(retain_eval_ctx_bind(ctx, "customer.consent.sms", &v), RETAIN_EINVAL);
    CHECK_INT(retain_eval_ctx_bind(ctx, "customer.nope", &v), RETAIN_EINVAL);
    CHECK_INT(retain_eval_ctx_bind(ctx, "customer.attr.", &v), RETAIN_EINVAL);
    CHECK_INT(retain_eval_ctx_bind(ctx, NULL, &v), RETAIN_EINVAL);
    CHECK_OK(e, retain_eval_ctx_bind(ctx, "order.lines_count", &v));
    CHECK_INT(retain_eval_ctx_set_timezone(ctx, e, "Mars/Base"), RETAIN_ENOTFOUND);
    CHECK_INT(retain_eval_ctx_set_timezone(ctx, e, "../etc"), RETAIN_EINVAL);
    CHECK_OK(e, retain_eval_ctx_set_timezone(ctx, e, NULL));
    /* Many dynamic names: the table grows; rebinding replaces. */
    char name[64];
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof name, "customer.attr.k%d", i);
        v = retain_value_int(i);
        CHECK_INT(retain_eval_ctx_bind(ctx, name, &v), RETAIN_OK);
    }
    v = retain_value_int(-1);
    CHECK_INT(retain_eval_ctx_bind(ctx, "customer.attr.k77", &v), RETAIN_OK);
    CHECK_OK(e, retain_rule_compile(&r, e, "customer.attr.k77 + customer.attr.k499", &d));
    retain_value out;
    CHECK_OK(e, retain_rule_eval(r, ctx, &out));
    CHECK(out.type == RETAIN_TYPE_FLOAT && out.u.f == 498.0);
    /* now() without now is null; clear forgets everything. */
    retain_eval_ctx_clear(ctx);
    CHECK_OK(e, retain_rule_eval(r, ctx, &out));
    CHECK_INT(out.type, RETAIN_TYPE_NULL);
    retain_rule_free(r);
    CHECK_OK(e, retain_rule_compile(&r, e, "now()", &d));
    CHECK_OK(e, retain_rule_eval(r, ctx, &out));
    CHECK_INT(out.type, RETAIN_TYPE_NULL);
    CHECK_INT(retain_rule_eval(NULL, ctx, &out), RETAIN_EINVAL);
    CHECK_INT(retain_rule_eval(r, NULL, &out), RETAIN_EINVAL);
    CHECK_INT(retain_rule_eval(r, ctx, NULL), RETAIN_EINVAL);
    int yes;
    CHECK_INT(retain_rule_test(r, ctx, NULL), RETAIN_EINVAL);
    CHECK_INT(retain_rule_test(r, ctx, &yes), RETAIN_OK);
    CHECK_INT(yes, 0);
    retain_rule_free(r);
    retain_eval_ctx_free(ctx);
    retain_eval_ctx_free(NULL);

    /* Formatting. */
    char buf[64];
    retain_value m = retain_value_money(-5, "USD");
    retain_value_format(&m, buf, sizeof buf);
    CHECK_STR(buf, "-0.05 USD");
    retain_value t = retain_value_time(1710054000123LL);
    retain_value_format(&t, buf, sizeof buf);
    CHECK_STR(buf, "2024-03-10T07:00:00.123Z");
    retain_value du = retain_value_duration(93784005LL);
    retain_value_format(&du, buf, sizeof buf);
    CHECK_STR(buf, "1d2h3m4s5ms");
    retain_value s = retain_value_string("a\"b\n");
    retain_value_format(&s, buf, sizeof buf);
    CHECK_STR(buf, "\"a\\\"b\\n\"");
    retain_value fl = retain_value_float(0.1);
    retain_value_format(&fl, buf, sizeof buf);
    CHECK_STR(buf, "0.1");
    CHECK_INT(retain_value_format(&s, NULL, 0), 8);
    CHECK_INT(retain_value_format(&s, buf, 3), 8);
    CHECK_STR(buf, "\"a");
    CHECK_STR(retain_type_name(RETAIN_TYPE_DURATION), "duration");
}

int main(void)
{
    retain_engine *e = t_engine(NULL);
    retain_eval_ctx *ctx = NULL;
    if (retain_eval_ctx_new(&ctx, e)) {
        fprintf(stderr, "no context\n");
        return 1;
    }
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++)
        run_case(e, ctx, &cases[i], i);
    printf("rule: %zu table cases\n", n);
    test_messages(e);
    test_doc_examples(e);
    test_code_shapes(e);
    test_api(e);
    retain_eval_ctx_free(ctx);
    retain_engine_close(e);
    return t_report("rule");
}
