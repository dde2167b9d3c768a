/*
 * retain/recommend.h - products, and complementary product recommendations
 * learned from co-purchases.
 *
 * retain_recommend_build() counts, over every order that counts (not
 * cancelled or refunded), how often each pair of SKUs is bought in the same
 * order, and keeps for every SKU its best neighbours by the normalised score
 * support(a,b) / sqrt(orders(a) x orders(b)) (cosine; 1 when two SKUs are
 * always bought together). retain_recommend() sums, over what a customer
 * owns, the scores of the neighbours, leaves out what the customer already
 * owns and returns the best N (ties by SKU). The neighbour lists are stored:
 * they survive restarts and serve every engine on the database until the
 * next build. The journey step `recommend: { count: N }` puts the same list
 * under "recommendations" in the payload of the instance's later sends.
 */
#ifndef RETAIN_RECOMMEND_H
#define RETAIN_RECOMMEND_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RETAIN_PRODUCT_VERSION 1

/** A product: what messages show for a SKU. */
typedef struct retain_product {
    unsigned int version;   /**< RETAIN_PRODUCT_VERSION */
    const char *sku;        /**< required */
    const char *title;      /**< may be NULL */
    int64_t price;          /**< minor units of `currency`; -1: unknown */
    const char *currency;   /**< ISO 4217; required when price >= 0 */
    const char *attrs_json; /**< a JSON object (image URL ...), or NULL to keep */
    int64_t at;             /**< when this was learned (ms UTC) */
} retain_product;

#define RETAIN_PRODUCT_INIT { RETAIN_PRODUCT_VERSION, 0, 0, -1, 0, 0, 0 }

/** Create or replace a product. */
RETAIN_API int retain_product_upsert(retain_engine *e, const retain_product *p);

#define RETAIN_RECOMMEND_OPTIONS_VERSION 1

/** Options for retain_recommend_build(); start from RETAIN_RECOMMEND_OPTIONS_INIT. */
typedef struct retain_recommend_options {
    unsigned int version; /**< RETAIN_RECOMMEND_OPTIONS_VERSION */
    int neighbors;        /**< neighbours kept per SKU, 1..1000; 0: 50 */
    int min_support;      /**< orders a pair needs in common; 0: 1 */
} retain_recommend_options;

#define RETAIN_RECOMMEND_OPTIONS_INIT { RETAIN_RECOMMEND_OPTIONS_VERSION, 0, 0 }

/** What a build saw. */
typedef struct retain_recommend_stats {
    int64_t baskets;   /**< orders counted */
    int64_t skus;      /**< distinct SKUs */
    int64_t pairs;     /**< distinct co-purchased pairs */
    int64_t neighbors; /**< neighbour rows stored */
} retain_recommend_stats;

/**
 * Recompute every SKU's neighbours from the store's orders, in one
 * transaction. `out` and `opts` may be NULL.
 */
RETAIN_API int retain_recommend_build(retain_recommend_stats *out, retain_engine *e,
                                      const retain_recommend_options *opts);

/** One recommended product. */
typedef struct retain_recommendation {
    const char *sku;
    const char *title;    /**< product title, else the latest order line's; may be NULL */
    int64_t price;        /**< minor units; -1 when unknown */
    const char *currency; /**< NULL when unknown */
    double score;         /**< sum of normalised scores over what the customer owns */
    int64_t support;      /**< orders in which it was bought with what the customer owns */
} retain_recommendation;

/** A list of recommendations, best first; free with retain_recommendations_free(). */
typedef struct retain_recommendations {
    size_t count;
    const retain_recommendation *items; /**< best first */
} retain_recommendations;

/**
 * The best `n` (1..100) products for a customer that they do not own yet.
 * An empty list when the customer owns nothing that has neighbours (or no
 * build has run). Free with retain_recommendations_free().
 */
RETAIN_API int retain_recommend(retain_recommendations **out, retain_engine *e,
                                const char *customer_id, size_t n);
/** Free a list from retain_recommend(). NULL is a harmless no-op. */
RETAIN_API void retain_recommendations_free(retain_recommendations *r);

#ifdef __cplusplus
}
#endif

#endif /* RETAIN_RECOMMEND_H */
