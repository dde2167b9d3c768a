"""The public surface: every public name documented, __all__ honest, stubs complete."""
import ast
import inspect
from pathlib import Path

import pytest

import retain
import retain.models
import retain.rules
from retain import _retain

DATA_NAMES = {"Time", "Money", "EPOCH", "HAVE_MODELS", "HAVE_RULES", "__version__",
              "version_info", "AVAILABLE", "ArrayLike", "Duration", "HAVE_JOURNEYS",
              "HAVE_DELIVERY", "HAVE_POLICY", "HAVE_METRICS", "HAVE_REFRESH", "HAVE_DOMAIN",
              "HAVE_COUPONS", "HAVE_REPORT"}


def public_members(cls):
    for name, member in vars(cls).items():
        if name.startswith("_") or name in ("code", "line", "column", "snippet"):
            continue
        if inspect.isfunction(member) or isinstance(member, (property, classmethod)):
            yield name, member


@pytest.mark.parametrize("module", [retain, retain.models, retain.rules],
                         ids=["retain", "retain.models", "retain.rules"])
def test_every_public_name_is_documented(module):
    assert module.__doc__
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)  # __all__ names exist
        if name in DATA_NAMES or inspect.ismodule(obj):
            continue
        if not inspect.getdoc(obj):
            missing.append(name)
        if inspect.isclass(obj):
            for mname, member in public_members(obj):
                fn = member.__func__ if isinstance(member, classmethod) else member
                if not inspect.getdoc(fn):
                    missing.append(f"{name}.{mname}")
    assert missing == []


def test_extension_functions_are_documented():
    for name in dir(_retain):
        obj = getattr(_retain, name)
        if callable(obj) and not name.startswith("__"):
            assert obj.__doc__, name
    for name, member in vars(_retain.Engine).items():
        if not name.startswith("_") and callable(member):
            assert member.__doc__, f"Engine.{name}"


def stub_names():
    tree = ast.parse((Path(retain.__file__).parent / "_retain.pyi").read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets)
    return {n for n in names if not n.startswith("_") or n.startswith("_set")}, tree


def test_stub_covers_the_extension():
    names, tree = stub_names()
    module_names = {n for n in dir(_retain) if not n.startswith("__")}
    assert module_names - names == set()  # everything in the module has a stub
    if all((_retain.HAVE_MODELS, _retain.HAVE_RULES, _retain.HAVE_JOURNEYS,
            _retain.HAVE_DELIVERY, _retain.HAVE_POLICY, _retain.HAVE_METRICS,
            _retain.HAVE_REFRESH, _retain.HAVE_DOMAIN, _retain.HAVE_COUPONS,
            _retain.HAVE_REPORT)):
        assert names - module_names == set()  # no stub for something that is not there
    engine_stub = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Engine")
    stub_methods = {n.name for n in engine_stub.body if isinstance(n, ast.FunctionDef)}
    real = {n for n in dir(_retain.Engine) if not n.startswith("_")}
    assert real - stub_methods - {"closed", "path"} == set()
    if _retain.HAVE_JOURNEYS and _retain.HAVE_DELIVERY and _retain.HAVE_POLICY \
            and _retain.HAVE_METRICS and _retain.HAVE_REFRESH and _retain.HAVE_REPORT:
        assert stub_methods - real - {"__init__"} == set()  # no stub for what is not there
    if _retain.HAVE_RULES:
        rule_stub = next(n for n in tree.body
                         if isinstance(n, ast.ClassDef) and n.name == "Rule")
        stub_rule = {n.name for n in rule_stub.body if isinstance(n, ast.FunctionDef)}
        real_rule = {n for n in dir(_retain.Rule) if not n.startswith("_")}
        assert real_rule - stub_rule - {"closed", "source"} == set()


def test_package_is_typed():
    assert (Path(retain.__file__).parent / "py.typed").exists()


def test_all_is_sorted_out():
    assert len(set(retain.__all__)) == len(retain.__all__)
    for cls in (retain.Error, retain.NotFound, retain.Engine, retain.Customer, retain.Order):
        assert cls.__name__ in retain.__all__


def test_subsystems_missing_from_a_build_raise_unsupported():
    if not retain.HAVE_MODELS:
        with pytest.raises(retain.Unsupported):
            retain.models.BGNBD()
        with pytest.raises(retain.Unsupported):
            retain.models.compress([0], [0], [1])
    if not retain.HAVE_RULES:
        with retain.Engine() as e:
            with pytest.raises(retain.Unsupported):
                e.compile_rule("true")
    assert retain.models.AVAILABLE == retain.HAVE_MODELS
    assert retain.rules.AVAILABLE == retain.HAVE_RULES
