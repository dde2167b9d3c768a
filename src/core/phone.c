/* phone.c - e-mail and phone normalization at the API boundary. */
#include "text.h"

#include <ctype.h>
#include <string.h>

/* ISO 3166 alpha-2 -> ITU calling code, sorted by country. */
static const struct { char iso[3]; char code[5]; } calling[] = {
    {"AE","971"},{"AR","54"},{"AT","43"},{"AU","61"},{"BD","880"},{"BE","32"},{"BG","359"},
    {"BR","55"},{"CA","1"},{"CH","41"},{"CL","56"},{"CN","86"},{"CO","57"},{"CY","357"},
    {"CZ","420"},{"DE","49"},{"DK","45"},{"DZ","213"},{"EE","372"},{"EG","20"},{"ES","34"},
    {"FI","358"},{"FR","33"},{"GB","44"},{"GR","30"},{"HK","852"},{"HR","385"},{"HU","36"},
    {"ID","62"},{"IE","353"},{"IL","972"},{"IN","91"},{"IS","354"},{"IT","39"},{"JP","81"},
    {"KE","254"},{"KR","82"},{"KW","965"},{"LT","370"},{"LU","352"},{"LV","371"},{"MA","212"},
    {"MT","356"},{"MX","52"},{"MY","60"},{"NG","234"},{"NL","31"},{"NO","47"},{"NZ","64"},
    {"PE","51"},{"PH","63"},{"PK","92"},{"PL","48"},{"PR","1"},{"PT","351"},{"QA","974"},
    {"RO","40"},{"RS","381"},{"RU","7"},{"SA","966"},{"SE","46"},{"SG","65"},{"SI","386"},
    {"SK","421"},{"TH","66"},{"TR","90"},{"TW","886"},{"UA","380"},{"US","1"},{"VN","84"},
    {"ZA","27"},
};

const char *rt_country_calling_code(const char *iso2)
{
    if (!iso2 || strlen(iso2) != 2)
        return NULL;
    char up[3] = { (char)toupper((unsigned char)iso2[0]), (char)toupper((unsigned char)iso2[1]), 0 };
    for (size_t i = 0; i < sizeof calling / sizeof calling[0]; i++)
        if (strcmp(calling[i].iso, up) == 0)
            return calling[i].code;
    return NULL;
}

bool rt_phone_normalize(const char *in, const char *country, char *out, size_t outsz,
                        const char **why)
{
    char digits[32];
    size_t nd = 0;
    bool plus = false;
    const char *p = in;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '+') {
        plus = true;
        p++;
    }
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isdigit(c)) {
            if (nd >= sizeof digits - 1) {
                *why = "too many digits for a phone number";
                return false;
            }
            digits[nd++] = (char)c;
        } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t') {
            continue;
        } else {
            *why = "a phone number may hold only digits, spaces, + - . ( ) /";
            return false;
        }
    }
    digits[nd] = '\0';
    const char *d = digits;
    const char *cc = "";
    if (!plus && nd > 2 && d[0] == '0' && d[1] == '0') {
        d += 2; /* international prefix 00 */
    } else if (!plus) {
        cc = rt_country_calling_code(country);
        if (!cc) {
            *why = country ? "unknown default country for phone numbers"
                           : "phone number has no country code (+...) and no default country is set";
            return false;
        }
        if (strcmp(cc, "1") == 0 && nd == 11 && d[0] == '1')
            d++; /* NANP long-distance prefix */
        else if (d[0] == '0' && strcmp(cc, "39") != 0)
            d++; /* national trunk prefix; Italy keeps its 0 */
    }
    size_t total = strlen(cc) + strlen(d);
    if (total < 7 || total > 15) {
        *why = "a phone number must have 7 to 15 digits including the country code";
        return false;
    }
    if (d[0] == '0' && cc[0] == '\0') {
        *why = "a country code cannot start with 0";
        return false;
    }
    if (outsz < total + 2) {
        *why = "phone number too long";
        return false;
    }
    out[0] = '+';
    strcpy(out + 1, cc);
    strcat(out, d);
    return true;
}

bool rt_email_normalize(const char *in, char *out, size_t outsz)
{
    while (*in == ' ' || *in == '\t')
        in++;
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= outsz || n > 254)
        return false;
    const char *at = NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= 0x20 || c == 0x7F)
            return false;
        if (c == '@') {
            if (at)
                return false;
            at = in + i;
        }
    }
    if (!at || at == in || at == in + n - 1 || (size_t)(at - in) > 64)
        return false;
    const char *dom = at + 1;
    size_t domlen = n - (size_t)(dom - in);
    if (!memchr(dom, '.', domlen) && !(domlen == 9 && strncmp(dom, "localhost", 9) == 0))
        return false;
    if (dom[0] == '.' || dom[domlen - 1] == '.')
        return false;
    memcpy(out, in, n);
    out[n] = '\0';
    for (char *q = out + (dom - in); *q; q++)
        *q = (char)tolower((unsigned char)*q);
    return rt_utf8_valid(out, n);
}
