"""scripts/build-bridge's pivot rule (pivot_senses) and its reader of FreeDict senses with glosses."""
import gzip
import os
import importlib.util
from importlib.machinery import SourceFileLoader

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_loader = SourceFileLoader("build_bridge", os.path.join(ROOT, "scripts", "build-bridge"))
bb = importlib.util.module_from_spec(importlib.util.spec_from_loader("build_bridge", _loader))
_loader.exec_module(bb)


def test_pivot_senses_keep_what_two_routes_agree_on():
    known = {("de", "gletscher"): {"glacier": 1.0},
             ("de", "eisdiele"): {"ice-cream parlour": 1.0},
             ("es", "glaciar"): {"Glacier": 1.0, "icefield": 0.5}}
    routes = [("de", {"gletscher": 0, "eisdiele": 1}), ("es", {"glaciar": 0})]
    senses = bb.pivot_senses(known, routes)
    assert [e.lower() for e, _ in senses] == ["glacier"]
    assert senses[0][1] == pytest.approx(1.0)


def test_pivot_senses_without_agreement_keep_the_best_one():
    known = {("de", "base"): {"cousin": 1.0}, ("de", "grundlage"): {"basis": 1.0, "base": 0.5}}
    senses = bb.pivot_senses(known, [("de", {"grundlage": 0, "base": 2})])
    assert senses == [("basis", 1.0)]
    assert bb.pivot_senses(known, [("de", {"unbekannt": 0})]) == []


def test_pivot_senses_cap_and_rank_weight():
    english = ["e%d" % i for i in range(10)]
    known = {("de", "a"): {e: 1.0 for e in english}, ("de", "b"): {e: 1.0 for e in english}}
    senses = bb.pivot_senses(known, [("de", {"a": 0, "b": 2})])
    # At most PIVOT_PER_TRANSLATION a translation, so only the first three agree.
    assert [e for e, _ in senses] == english[:bb.PIVOT_PER_TRANSLATION]
    assert all(w == pytest.approx(1.0) for _, w in senses)


def test_read_freedict_senses_skips_glosses(tmp_path):
    body = "avec /a.vɛk/\n1. mit, bei\nAccompagnement\n2. mit 2.\nInstrument\n"
    second = "glacier /ɡla.sje/ <n, masc>\nGletscher, Ferner\nMasse de glace\n"
    data = (body + second).encode()
    with gzip.open(tmp_path / "x.dict.dz", "wb") as f:
        f.write(data)

    def b64(n):
        alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        return alpha[n] if n < 64 else b64(n // 64) + alpha[n % 64]

    first_len = len(body.encode())
    (tmp_path / "x.index").write_text("avec\t%s\t%s\nglacier\t%s\t%s\n" % (
        b64(0), b64(first_len), b64(first_len), b64(len(second.encode()))), encoding="utf-8")
    got = dict(bb.read_freedict_senses(str(tmp_path / "x.index")))
    assert got == {"avec": ["mit", "bei", "mit"], "glacier": ["Gletscher", "Ferner"]}


def test_ui_terms_short_strings_without_marks():
    catalog = {"_File": "_Tập tin", "Menu": "Trình đơn", "icon": "biểu tượng", "table cell": "ô bảng",
               "_Open\u2026": "파일 열기(_O)\u2026", "Name:": "名称：",
               "keyboard label\x04Delete": "Delete",     # a key's label: left out
               "Show hidden files": "Hiện tập tin ẩn",    # three words: left out
               "Copy": "Copy",                            # untranslated: left out
               "%d items": "%d mục", ("file", 0): "tập tin", "": "header"}
    got = sorted(bb.ui_terms(catalog))
    assert got == sorted([("File", "Tập tin"), ("Menu", "Trình đơn"), ("icon", "biểu tượng"),
                          ("table cell", "ô bảng"), ("Open", "파일 열기"), ("Name", "名称")])
