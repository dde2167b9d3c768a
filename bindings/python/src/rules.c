/*
 * rules.c - the rule language (retain/rule.h): compiling against an engine,
 * evaluating with bound values.
 *
 * Values cross the boundary tagged: (type, payload) with the retain_type
 * numbers; the Python layer (retain/rules.py) maps them to Python objects:
 *   null (0, None)  bool (1, b)  int (2, i)  float (3, f)
 *   money (4, (amount, currency, scale)) on the way out, (4, (minor, currency)) in
 *   string (5, s)  time (6, ms)  duration (7, ms)  list (8, (tagged, ...))
 *
 * A compiled rule must be freed before its engine closes, so a Rule is a
 * child of its Engine (RpChild). Each Rule keeps one evaluation context,
 * reused (cleared) for every evaluation; the engine lock serializes them.
 */
#include "pyretain.h"

#include <retain/rule.h>

#include <string.h>

#define MAX_LIST_DEPTH 16

typedef struct RpRule {
    RpChild base;
    retain_rule *rule;
    retain_eval_ctx *ctx;
    char zone[128]; /* the zone last set on ctx ("" = the engine's default) */
} RpRule;

static void rule_free_c(RpChild *c)
{
    RpRule *self = (RpRule *)c;
    retain_eval_ctx_free(self->ctx);
    self->ctx = NULL;
    retain_rule_free(self->rule);
    self->rule = NULL;
}

/* ---- values ---- */

/* Lists bound for one evaluation, freed afterwards. */
typedef struct lists {
    retain_value **items;
    size_t n, cap;
} lists;

static void lists_free(lists *l)
{
    for (size_t i = 0; i < l->n; i++)
        PyMem_Free(l->items[i]);
    PyMem_Free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

static retain_value *lists_new(lists *l, size_t count)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        retain_value **p = PyMem_Realloc(l->items, cap * sizeof *p);
        if (!p)
            return NULL;
        l->items = p;
        l->cap = cap;
    }
    retain_value *v = PyMem_Calloc(count ? count : 1, sizeof *v);
    if (v)
        l->items[l->n++] = v;
    return v;
}

/* A tagged Python value -> retain_value. Strings point into the str objects,
 * which the caller's arguments keep alive. */
static int to_value(PyObject *tagged, retain_value *out, lists *l, int depth)
{
    int type;
    PyObject *payload;
    if (!PyTuple_Check(tagged) || !PyArg_ParseTuple(tagged, "iO:value", &type, &payload)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a rule value must be a (type, payload) tuple");
        return -1;
    }
    switch (type) {
    case RETAIN_TYPE_NULL:
        *out = retain_value_null();
        return 0;
    case RETAIN_TYPE_BOOL: {
        int b = PyObject_IsTrue(payload);
        if (b < 0)
            return -1;
        *out = retain_value_bool(b);
        return 0;
    }
    case RETAIN_TYPE_INT:
    case RETAIN_TYPE_TIME:
    case RETAIN_TYPE_DURATION: {
        long long v = PyLong_AsLongLong(payload);
        if (v == -1 && PyErr_Occurred())
            return -1;
        *out = type == RETAIN_TYPE_INT    ? retain_value_int(v)
               : type == RETAIN_TYPE_TIME ? retain_value_time(v)
                                          : retain_value_duration(v);
        return 0;
    }
    case RETAIN_TYPE_FLOAT: {
        double f = PyFloat_AsDouble(payload);
        if (f == -1.0 && PyErr_Occurred())
            return -1;
        *out = retain_value_float(f);
        return 0;
    }
    case RETAIN_TYPE_MONEY: {
        long long minor;
        const char *cur;
        if (!PyTuple_Check(payload) || !PyArg_ParseTuple(payload, "Ls:money", &minor, &cur)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "money must be (minor units, currency)");
            return -1;
        }
        *out = retain_value_money(minor, cur);
        return 0;
    }
    case RETAIN_TYPE_STRING: {
        Py_ssize_t len;
        const char *s = PyUnicode_Check(payload) ? PyUnicode_AsUTF8AndSize(payload, &len) : NULL;
        if (!s) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "a string value must be a str");
            return -1;
        }
        *out = retain_value_stringn(s, (size_t)len);
        return 0;
    }
    case RETAIN_TYPE_LIST: {
        if (!PyTuple_Check(payload)) {
            PyErr_SetString(PyExc_TypeError, "a list value must be a tuple of values");
            return -1;
        }
        if (depth >= MAX_LIST_DEPTH) {
            PyErr_SetString(PyExc_ValueError, "lists are nested too deeply");
            return -1;
        }
        size_t n = (size_t)PyTuple_GET_SIZE(payload);
        retain_value *items = lists_new(l, n);
        if (!items) {
            PyErr_NoMemory();
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (to_value(PyTuple_GET_ITEM(payload, (Py_ssize_t)i), &items[i], l, depth + 1))
                return -1;
        *out = retain_value_list(items, n);
        return 0;
    }
    default:
        PyErr_Format(PyExc_ValueError, "%d is not a value type", type);
        return -1;
    }
}

static PyObject *from_value(const retain_value *v, int depth)
{
    switch (v->type) {
    case RETAIN_TYPE_NULL:
        return Py_BuildValue("(iO)", (int)v->type, Py_None);
    case RETAIN_TYPE_BOOL:
        return Py_BuildValue("(iN)", (int)v->type, PyBool_FromLong(v->u.b));
    case RETAIN_TYPE_INT:
        return Py_BuildValue("(iL)", (int)v->type, (long long)v->u.i);
    case RETAIN_TYPE_FLOAT:
        return Py_BuildValue("(id)", (int)v->type, v->u.f);
    case RETAIN_TYPE_MONEY: {
        char cur[4];
        memcpy(cur, v->u.money.currency, 3);
        cur[3] = '\0';
        return Py_BuildValue("(i(Lsi))", (int)v->type, (long long)v->u.money.amount, cur,
                             (int)v->u.money.scale);
    }
    case RETAIN_TYPE_STRING:
        return Py_BuildValue("(iN)", (int)v->type,
                             PyUnicode_DecodeUTF8(v->u.str.ptr ? v->u.str.ptr : "",
                                                  (Py_ssize_t)v->u.str.len, "replace"));
    case RETAIN_TYPE_TIME:
        return Py_BuildValue("(iL)", (int)v->type, (long long)v->u.time);
    case RETAIN_TYPE_DURATION:
        return Py_BuildValue("(iL)", (int)v->type, (long long)v->u.duration);
    case RETAIN_TYPE_LIST: {
        if (depth >= MAX_LIST_DEPTH)
            return PyErr_Format(PyExc_ValueError, "lists are nested too deeply");
        PyObject *t = PyTuple_New((Py_ssize_t)v->u.list.count);
        if (!t)
            return NULL;
        for (size_t i = 0; i < v->u.list.count; i++) {
            PyObject *item = from_value(&v->u.list.items[i], depth + 1);
            if (!item) {
                Py_DECREF(t);
                return NULL;
            }
            PyTuple_SET_ITEM(t, (Py_ssize_t)i, item);
        }
        return Py_BuildValue("(iN)", (int)v->type, t);
    }
    default:
        return Py_BuildValue("(iO)", (int)v->type, Py_None);
    }
}

/* ---- compiling ---- */

/* Engine.rule_compile(source, flags, vars, line, column); vars: ((name, type, elem), ...) */
PyObject *rp_rule_compile(PyObject *op, PyObject *args)
{
    EngineObject *engine = (EngineObject *)op;
    const char *src;
    Py_ssize_t len;
    unsigned int flags;
    PyObject *vars;
    int line, column;
    if (!PyArg_ParseTuple(args, "s#IO!ii:rule_compile", &src, &len, &flags, &PyTuple_Type, &vars,
                          &line, &column))
        return NULL;
    Py_ssize_t nvars = PyTuple_GET_SIZE(vars);
    retain_rule_var *decl = PyMem_Calloc(nvars ? (size_t)nvars : 1, sizeof *decl);
    if (!decl)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < nvars; i++) {
        int type, elem;
        PyObject *item = PyTuple_GET_ITEM(vars, i);
        if (!PyTuple_Check(item) ||
            !PyArg_ParseTuple(item, "sii:rule var", &decl[i].name, &type, &elem)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "vars must be (name, type, elem) tuples");
            PyMem_Free(decl);
            return NULL;
        }
        decl[i].type = (retain_type)type;
        decl[i].elem = (retain_type)elem;
    }
    RpRule *self = PyObject_New(RpRule, &RpRule_Type);
    if (!self) {
        PyMem_Free(decl);
        return NULL;
    }
    rp_child_init(&self->base, engine, rule_free_c);
    self->rule = NULL;
    self->ctx = NULL;
    self->zone[0] = '\0';
    if (rp_enter(engine)) {
        PyMem_Free(decl);
        Py_DECREF(self);
        return NULL;
    }
    retain_rule_options opts = RETAIN_RULE_OPTIONS_INIT;
    opts.flags = flags;
    opts.vars = decl;
    opts.nvars = (size_t)nvars;
    opts.line = line;
    opts.column = column;
    retain_diag diag;
    memset(&diag, 0, sizeof diag);
    retain_rule *r = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = retain_rule_compile_ex(&r, engine->e, src, (size_t)len, &opts, &diag);
    Py_END_ALLOW_THREADS
    PyMem_Free(decl);
    if (rc) {
        if (diag.message[0])
            rp_raise_diag(&diag, rc);
        else
            rp_raise_engine(engine, rc);
        rp_leave(engine);
        Py_DECREF(self);
        return NULL;
    }
    self->rule = r;
    rp_child_attach(&self->base);
    rp_leave(engine);
    return (PyObject *)self;
}

/* ---- the Rule type ---- */

/* Enter the rule's engine; 0 or -1 with an exception. */
static int rule_enter(RpRule *self)
{
    if (rp_child_check(&self->base) || rp_enter(self->base.engine))
        return -1;
    if (rp_child_check(&self->base)) { /* closed while we waited */
        rp_leave(self->base.engine);
        return -1;
    }
    return 0;
}

static PyObject *rule_get_source(PyObject *op, void *closure)
{
    RpRule *self = (RpRule *)op;
    if (rule_enter(self))
        return NULL;
    PyObject *res = rp_str_or_none(retain_rule_source(self->rule));
    rp_leave(self->base.engine);
    return res;
}

static PyObject *rule_type(PyObject *op, PyObject *unused)
{
    RpRule *self = (RpRule *)op;
    if (rule_enter(self))
        return NULL;
    retain_type elem = RETAIN_TYPE_NULL;
    retain_type t = retain_rule_type(self->rule, &elem);
    rp_leave(self->base.engine);
    return Py_BuildValue("(ii)", (int)t, (int)elem);
}

static PyObject *rule_fields(PyObject *op, PyObject *unused)
{
    RpRule *self = (RpRule *)op;
    if (rule_enter(self))
        return NULL;
    const retain_rule_field *f = NULL;
    size_t n = retain_rule_fields(self->rule, &f);
    PyObject *res = PyTuple_New((Py_ssize_t)n);
    for (size_t i = 0; res && i < n; i++) {
        PyObject *t = Py_BuildValue("(Niii)", rp_str_or_none(f[i].name), (int)f[i].id,
                                    (int)f[i].type, (int)f[i].elem);
        if (!t)
            Py_CLEAR(res);
        else
            PyTuple_SET_ITEM(res, (Py_ssize_t)i, t);
    }
    rp_leave(self->base.engine);
    return res;
}

static PyObject *rule_needs(PyObject *op, PyObject *unused)
{
    RpRule *self = (RpRule *)op;
    if (rule_enter(self))
        return NULL;
    unsigned int needs = retain_rule_needs(self->rule);
    rp_leave(self->base.engine);
    return PyLong_FromUnsignedLong(needs);
}

/* Bind (name, tagged) pairs, now and the zone; 0 or -1 with an exception. The
 * engine is entered. */
static int rule_prepare(RpRule *self, PyObject *bindings, PyObject *now_o, const char *zone,
                        lists *l)
{
    retain_engine *e = self->base.engine->e;
    int rc;
    if (!self->ctx) {
        if ((rc = retain_eval_ctx_new(&self->ctx, e))) {
            rp_raise_engine(self->base.engine, rc);
            return -1;
        }
        self->zone[0] = '\0';
    }
    retain_eval_ctx_clear(self->ctx);
    if (!zone)
        zone = "";
    if (strcmp(zone, self->zone) != 0) {
        if (strlen(zone) >= sizeof self->zone) {
            rp_raise(RETAIN_EINVAL, "the time zone name is too long");
            return -1;
        }
        if ((rc = retain_eval_ctx_set_timezone(self->ctx, e, zone))) {
            rp_raise_engine(self->base.engine, rc);
            return -1;
        }
        strcpy(self->zone, zone);
    }
    if (now_o != Py_None) {
        long long now = PyLong_AsLongLong(now_o);
        if (now == -1 && PyErr_Occurred())
            return -1;
        if ((rc = retain_eval_ctx_set_now(self->ctx, now))) {
            rp_raise(rc, retain_eval_ctx_errmsg(self->ctx));
            return -1;
        }
    }
    Py_ssize_t n = PyTuple_GET_SIZE(bindings);
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *name;
        PyObject *tagged;
        retain_value v;
        PyObject *item = PyTuple_GET_ITEM(bindings, i);
        if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "sO:binding", &name, &tagged)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "bindings must be (name, value) tuples");
            return -1;
        }
        if (to_value(tagged, &v, l, 0))
            return -1;
        /* Fixed fields through their slot, which checks the value's type. */
        retain_field f = retain_field_lookup(name);
        rc = f != RETAIN_FIELD_NONE ? retain_eval_ctx_set(self->ctx, f, &v)
                                    : retain_eval_ctx_bind(self->ctx, name, &v);
        if (rc) {
            rp_raise(rc, retain_eval_ctx_errmsg(self->ctx));
            return -1;
        }
    }
    return 0;
}

/* eval(bindings, now, zone) -> tagged value; test(...) -> bool */
static PyObject *rule_run(RpRule *self, PyObject *args, int test)
{
    PyObject *bindings, *now_o;
    const char *zone;
    if (!PyArg_ParseTuple(args, "O!Oz:eval", &PyTuple_Type, &bindings, &now_o, &zone))
        return NULL;
    if (rule_enter(self))
        return NULL;
    lists l = { NULL, 0, 0 };
    PyObject *res = NULL;
    if (rule_prepare(self, bindings, now_o, zone, &l) == 0) {
        retain_value out;
        int yes = 0, rc;
        const retain_rule *r = self->rule;
        retain_eval_ctx *ctx = self->ctx;
        Py_BEGIN_ALLOW_THREADS
        rc = test ? retain_rule_test(r, ctx, &yes) : retain_rule_eval(r, ctx, &out);
        Py_END_ALLOW_THREADS
        if (rc) {
            const retain_diag *d = retain_eval_ctx_diag(ctx);
            if (d && d->message[0])
                rp_raise_diag(d, rc);
            else
                rp_raise(rc, retain_eval_ctx_errmsg(ctx));
        } else {
            res = test ? PyBool_FromLong(yes) : from_value(&out, 0);
        }
    }
    lists_free(&l);
    rp_leave(self->base.engine);
    return res;
}

static PyObject *rule_eval(PyObject *op, PyObject *args)
{
    return rule_run((RpRule *)op, args, 0);
}

static PyObject *rule_test(PyObject *op, PyObject *args)
{
    return rule_run((RpRule *)op, args, 1);
}

static PyObject *rule_get_closed(PyObject *op, void *closure)
{
    return PyBool_FromLong(!((RpRule *)op)->base.attached);
}

static PyMethodDef rule_methods[] = {
    { "type", rule_type, METH_NOARGS, "type() -> (result type, list element type)" },
    { "fields", rule_fields, METH_NOARGS,
      "fields() -> ((name, field id, type, elem), ...): the names the rule reads" },
    { "needs", rule_needs, METH_NOARGS, "needs() -> RULE_NEEDS_* bits" },
    { "eval", rule_eval, METH_VARARGS, "eval(bindings, now, zone) -> (type, payload)" },
    { "test", rule_test, METH_VARARGS, "test(bindings, now, zone) -> bool" },
    { "close", rp_child_close, METH_NOARGS, "Free the rule now." },
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef rule_getset[] = {
    { "source", rule_get_source, NULL, "The rule's source text.", NULL },
    { "closed", rule_get_closed, NULL, "True once freed (closed, or its engine closed).", NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

PyTypeObject RpRule_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "retain._retain.Rule",
    .tp_doc = "A compiled rule of an engine; see retain.rules.Rule.",
    .tp_basicsize = sizeof(RpRule),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = rp_child_type_dealloc,
    .tp_methods = rule_methods,
    .tp_getset = rule_getset,
};

/* ---- module functions ---- */

static PyObject *py_type_name(PyObject *m, PyObject *arg)
{
    long t = PyLong_AsLong(arg);
    if (t == -1 && PyErr_Occurred())
        return NULL;
    return PyUnicode_FromString(retain_type_name((retain_type)t));
}

/* rule_fields_table() -> ((name, id, type, elem), ...) for every fixed field */
static PyObject *py_fields_table(PyObject *m, PyObject *unused)
{
    PyObject *res = PyTuple_New(RETAIN_FIELD_COUNT - 1);
    if (!res)
        return NULL;
    for (int f = 1; f < RETAIN_FIELD_COUNT; f++) {
        retain_type elem = RETAIN_TYPE_NULL;
        retain_type t = retain_field_type((retain_field)f, &elem);
        PyObject *item = Py_BuildValue("(Niii)", rp_str_or_none(retain_field_name((retain_field)f)),
                                       f, (int)t, (int)elem);
        if (!item) {
            Py_DECREF(res);
            return NULL;
        }
        PyTuple_SET_ITEM(res, f - 1, item);
    }
    return res;
}

static PyMethodDef rule_module_methods[] = {
    { "rule_type_name", py_type_name, METH_O, "rule_type_name(type) -> str" },
    { "rule_fields_table", py_fields_table, METH_NOARGS,
      "rule_fields_table() -> ((name, id, type, elem), ...) of the fixed fields" },
    { NULL, NULL, 0, NULL },
};

int rp_rules_init(PyObject *module)
{
    static const struct { const char *name; long value; } k[] = {
        { "RULE_BOOL", RETAIN_RULE_BOOL },
        { "RULE_NEEDS_NOW", RETAIN_RULE_NEEDS_NOW },
        { "RULE_NEEDS_TIMEZONE", RETAIN_RULE_NEEDS_TIMEZONE },
    };
    if (PyType_Ready(&RpRule_Type) < 0 ||
        PyModule_AddObjectRef(module, "Rule", (PyObject *)&RpRule_Type) < 0)
        return -1;
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (PyModule_AddIntConstant(module, k[i].name, k[i].value) < 0)
            return -1;
    return PyModule_AddFunctions(module, rule_module_methods);
}
