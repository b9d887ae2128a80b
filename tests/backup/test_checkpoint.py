"""Resume keys: one typed Checkpoint, encoded byte for byte as earlier releases wrote them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookervault.backup.checkpoint import Checkpoint, CheckpointKind, variant_key

# Ids and key parts with the separators the encoding uses, and anything else.
_TEXT = st.text(alphabet=st.sampled_from(":=&a1_é ") | st.characters(), max_size=12)
_PARAM = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_VARIANTS = st.dictionaries(_PARAM, _TEXT, max_size=3).map(variant_key)
_OFFSETS = st.integers(min_value=0, max_value=10**12)

_CHECKPOINTS = st.one_of(
    st.builds(Checkpoint.page, _VARIANTS, _OFFSETS),
    st.builds(Checkpoint.end, _VARIANTS, _OFFSETS),
    st.builds(Checkpoint.whole, _VARIANTS),
    st.builds(Checkpoint.item, _TEXT | st.sampled_from(["a:b", "x=1", "p::q", "all:offset=0"])),
    st.builds(Checkpoint.child, st.lists(_TEXT | st.just("a::b"), min_size=1, max_size=3)),
    st.just(Checkpoint.reconcile()),
)


@given(_CHECKPOINTS)
def test_every_kind_round_trips(checkpoint: Checkpoint) -> None:
    """decode(encode(c)) gives c back for every kind, ids with ':', '=' and '::' included."""
    assert Checkpoint.decode(checkpoint.encode()) == checkpoint


@given(st.text() | st.sampled_from(["all:offset=01", "x:end=-1", "item", "reconcile:all"]))
def test_any_text_decodes_and_encodes_back_unchanged(key: str) -> None:
    """Whatever a vault holds decodes without error, and encodes back to the very same text."""
    assert Checkpoint.decode(key).encode() == key


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("deleted=false:offset=0", Checkpoint(CheckpointKind.PAGE, "deleted=false", 0)),
        ("deleted=true:offset=1500", Checkpoint(CheckpointKind.PAGE, "deleted=true", 1500)),
        ("all:offset=25", Checkpoint(CheckpointKind.PAGE, "all", 25)),
        ("deleted=false:end=10", Checkpoint(CheckpointKind.END, "deleted=false", 10)),
        ("all:end=0", Checkpoint(CheckpointKind.END, "all", 0)),
        ("all:all", Checkpoint(CheckpointKind.ALL, "all")),
        ("deleted=true:all", Checkpoint(CheckpointKind.ALL, "deleted=true")),
        ("item:42", Checkpoint(CheckpointKind.ITEM, item_id="42")),
        ("item:ecommerce", Checkpoint(CheckpointKind.ITEM, item_id="ecommerce")),
        ("item:a:offset=3", Checkpoint(CheckpointKind.ITEM, item_id="a:offset=3")),
        (
            "child:ecommerce::orders",
            Checkpoint(CheckpointKind.CHILD, child_key="ecommerce::orders"),
        ),
        ("child:17", Checkpoint(CheckpointKind.CHILD, child_key="17")),
        ("reconcile", Checkpoint(CheckpointKind.RECONCILE)),
    ],
)
def test_old_literal_keys_decode_to_their_values(key: str, expected: Checkpoint) -> None:
    """The exact strings earlier releases stored decode to the right kind and fields."""
    decoded = Checkpoint.decode(key)
    assert decoded == expected
    assert decoded.encode() == key


def test_constructors_write_the_old_literal_keys() -> None:
    """Each constructor encodes to the string the old code built by hand."""
    assert (
        Checkpoint.page(variant_key({"deleted": "false"}), 0).encode() == "deleted=false:offset=0"
    )
    assert Checkpoint.end(variant_key({}), 15).encode() == "all:end=15"
    assert Checkpoint.whole(variant_key({})).encode() == "all:all"
    assert Checkpoint.item("42").encode() == "item:42"
    assert Checkpoint.child(("ecommerce", "orders")).encode() == "child:ecommerce::orders"
    assert Checkpoint.reconcile().encode() == "reconcile"


def test_variant_key_joins_parameters_or_says_all() -> None:
    """A variant is named by its parameters in order, or "all" when it has none."""
    assert variant_key({}) == "all"
    assert variant_key({"deleted": "false"}) == "deleted=false"
    assert variant_key({"a": "1", "b": "2"}) == "a=1&b=2"


@pytest.mark.parametrize(
    "key",
    ["", "garbage", "all:offset=", "all:offset=x", "all:offset=007", "all:end=-5", "x:next=1"],
)
def test_garbled_keys_decode_as_unknown_kept_as_is(key: str) -> None:
    """A key that fits no kind is UNKNOWN, keeps its text, and is no page, end or item."""
    decoded = Checkpoint.decode(key)
    assert decoded.kind is CheckpointKind.UNKNOWN
    assert decoded.raw == key and decoded.encode() == key


def test_decode_all_makes_a_lookup_set() -> None:
    """Stored keys decode into a set the page workers look checkpoints up in."""
    done = Checkpoint.decode_all(["deleted=false:offset=0", "item:7", "junk"])
    assert Checkpoint.page("deleted=false", 0) in done
    assert Checkpoint.page("deleted=false", 5) not in done
    assert Checkpoint.item("7") in done
    assert Checkpoint(CheckpointKind.UNKNOWN, raw="junk") in done


def test_child_parts_join_with_double_colons() -> None:
    """A child checkpoint equals the decoded key its parts were joined into."""
    assert Checkpoint.child(("m", "e")) == Checkpoint.decode("child:m::e")
    assert Checkpoint.child(("m",)) != Checkpoint.child(("m", "e"))
