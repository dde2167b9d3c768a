#!/usr/bin/env python3
"""libretain.py - what the Python extension needs to know about libretain at configure time.

    libretain.py sources SRC_DIR
        Print, one per line, the C sources that SRC_DIR/meson.build and its
        subsystem meson.build files add to retain_sources (paths relative to
        SRC_DIR). Used by the standalone (meson-python) build, which compiles
        the library itself because a meson project cannot reach outside its
        own tree with subdir().

    libretain.py features INCLUDE_DIR SOURCE...
        Print the optional subsystems whose public header exists and whose
        functions the given (compiled) sources define, one per line, from
        FEATURES below. Subsystems are written by different people at
        different times; the extension binds each one only once it is real.
"""
import os
import re
import sys

# Subsystem -> (public header, functions the binding calls).
FEATURES = {
    'model': ('retain/model.h', [
        'retain_model_fit', 'retain_model_init', 'retain_model_convert',
        'retain_model_loglik', 'retain_model_expected', 'retain_model_conditional_expected',
        'retain_model_p_alive', 'retain_model_pmf', 'retain_gammagamma_expected_spend',
        'retain_clv', 'retain_rfm_summarize', 'retain_rfm_split', 'retain_rfm_compress',
        'retain_rfm_clear', 'retain_model_param_count', 'retain_model_kind_name',
    ]),
    'rule': ('retain/rule.h', [
        'retain_rule_compile_ex', 'retain_rule_free', 'retain_rule_source', 'retain_rule_type',
        'retain_rule_fields', 'retain_rule_needs', 'retain_rule_eval', 'retain_rule_test',
        'retain_eval_ctx_new', 'retain_eval_ctx_free', 'retain_eval_ctx_clear',
        'retain_eval_ctx_set_now', 'retain_eval_ctx_set_timezone', 'retain_eval_ctx_bind',
        'retain_eval_ctx_set', 'retain_field_lookup',
        'retain_eval_ctx_errmsg', 'retain_eval_ctx_diag', 'retain_value_null',
        'retain_value_bool', 'retain_value_int', 'retain_value_float', 'retain_value_money',
        'retain_value_stringn', 'retain_value_time', 'retain_value_duration',
        'retain_value_list', 'retain_type_name', 'retain_field_name', 'retain_field_type',
    ]),
    'journey': ('retain/journey.h', [
        'retain_journeys_load', 'retain_journeys_load_file', 'retain_engine_tick',
        'retain_customer_next', 'retain_customer_explain',
    ]),
    'transport': ('retain/transport.h', [
        'retain_transport_register', 'retain_transport_unregister', 'retain_message_queue',
        'retain_outbox_deliver', 'retain_message_report', 'retain_message_find',
        'retain_message_find_provider', 'retain_outbox_iter_open', 'retain_outbox_iter_next',
        'retain_outbox_iter_free', 'retain_outbox_get', 'retain_outbox_entry_free',
        'retain_outbox_history', 'retain_outbox_retry', 'retain_outbox_cancel',
    ]),
    'policy': ('retain/policy.h', [
        'retain_policy_quiet_hours_set', 'retain_policy_quiet_hours_get',
        'retain_policy_cap_set', 'retain_policy_cap_get', 'retain_policy_cap_remove',
        'retain_policy_profile_load', 'retain_policy_profile_load_file',
        'retain_policy_profile_remove', 'retain_policy_profile_of',
    ]),
    'report': ('retain/report.h', ['retain_report_html', 'retain_report_write']),
    'tasks': ('retain/task.h', [
        'retain_agent_upsert', 'retain_agent_list', 'retain_task_routing_set',
        'retain_task_create', 'retain_task_route', 'retain_task_claim', 'retain_task_complete',
        'retain_task_cancel', 'retain_task_list',
    ]),
    'metrics': ('retain/metrics.h', [
        'retain_metrics_summary_json', 'retain_cohort_retention_json',
        'retain_churn_by_period_json', 'retain_rfm_scores_json', 'retain_rfm_from_store_json',
        'retain_retention_economics_json', 'retain_retention_economics_model_json',
        'retain_journey_conversion_json',
    ]),
    'refresh': ('retain/refresh.h', ['retain_model_refresh']),
    'coupons': ('retain/feedback.h', [
        'retain_coupon_campaign_define', 'retain_coupon_campaigns_load', 'retain_coupon_seed',
        'retain_coupon_issue', 'retain_coupon_validate', 'retain_coupon_redeem',
        'retain_coupon_revoke', 'retain_coupon_reason_name', 'retain_feedback_record',
        'retain_feedback_configure', 'retain_feedback_metrics_json',
    ]),
    'domain': ('retain/recommend.h', [
        'retain_carrier_set', 'retain_sku_cycle_set', 'retain_sku_cycle_get',
        'retain_replenish_learn', 'retain_replenish_get', 'retain_product_upsert',
        'retain_recommend_build', 'retain_recommend', 'retain_recommendations_free',
    ]),
    'audit': ('retain/audit.h', [
        'retain_audit_run', 'retain_audit_run_yaml', 'retain_audit_json', 'retain_audit_free',
    ]),
}

_FILES_CALL = re.compile(r'\bfiles\s*\(([^)]*)\)', re.S)
_STRING = re.compile(r"'([^'\\]*(?:\\.[^'\\]*)*)'")
_SUBDIR = re.compile(r"^\s*subdir\s*\(\s*'([^']+)'\s*\)", re.M)


def _strip_comments(text):
    return '\n'.join(line.split('#', 1)[0] for line in text.splitlines())


def sources(src_dir):
    out = []

    def scan(rel):
        path = os.path.join(src_dir, rel, 'meson.build')
        with open(path, encoding='utf-8') as f:
            text = _strip_comments(f.read())
        for call in _FILES_CALL.finditer(text):
            for name in _STRING.findall(call.group(1)):
                if name.endswith('.c'):
                    out.append(os.path.normpath(os.path.join(rel, name)))
        for sub in _SUBDIR.findall(text):
            scan(os.path.join(rel, sub))

    scan('')
    return out


def _defines(text, name):
    """True when `text` holds a definition (not a declaration or call) of `name`."""
    for m in re.finditer(r'^[A-Za-z_][\w \t\*]*\b' + re.escape(name) + r'\s*\(', text, re.M):
        depth, i = 0, m.end() - 1
        while i < len(text):
            c = text[i]
            if c == '(':
                depth += 1
            elif c == ')':
                depth -= 1
                if depth == 0:
                    break
            i += 1
        rest = text[i + 1:i + 200].lstrip()
        if rest.startswith('{'):
            return True
    return False


def features(include_dir, paths):
    text = ''
    for p in paths:
        try:
            with open(p, encoding='utf-8', errors='replace') as f:
                text += f.read() + '\n'
        except OSError:
            pass
    found = []
    for feature, (header, names) in FEATURES.items():
        if not os.path.exists(os.path.join(include_dir, header)):
            continue
        if all(_defines(text, n) for n in names):
            found.append(feature)
    return found


def main(argv):
    if len(argv) >= 2 and argv[0] == 'sources':
        print('\n'.join(sources(argv[1])))
        return 0
    if len(argv) >= 2 and argv[0] == 'features':
        print('\n'.join(features(argv[1], argv[2:])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
