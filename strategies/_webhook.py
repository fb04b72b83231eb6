"""Schema-valid Webhook payloads, realistic enough that a faithful server must accept every one."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from conformance.contract import CONTRACT

DEFAULT_TARGET_DOMAIN = "example.com"  # RFC 2606 reserved: a registered webhook can never fire at a real service


def e164_numbers(min_digits: int = 2, max_digits: int = 15) -> st.SearchStrategy[str]:
    """Valid E.164 numbers: `+`, a non-zero digit, then 1..14 more digits (2..15 digits in all).

    Lengths are drawn first so both boundaries come up early.

    >>> e164_numbers().example()  # doctest: +SKIP
    '+12135550123'
    """
    digits = st.integers(min_value=min_digits, max_value=max_digits)

    def build(n: int) -> st.SearchStrategy[str]:
        return st.builds(
            lambda first, rest: f"+{first}{rest}",
            st.sampled_from("123456789"),
            st.text(alphabet="0123456789", min_size=n - 1, max_size=n - 1),
        )

    return digits.flatmap(build)


def targets(domain: str = DEFAULT_TARGET_DOMAIN) -> st.SearchStrategy[str]:
    """Callback URLs on a reserved domain: http or https, optional port, path and query.

    >>> targets().example()  # doctest: +SKIP
    'https://hooks.example.com:8443/fax/received?token=a1'
    """
    label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
    segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
    return st.builds(
        lambda scheme, sub, port, path, query: f"{scheme}://{sub}{domain}{port}/{'/'.join(path)}{query}",
        st.sampled_from(["https", "http"]),
        st.one_of(st.just(""), label.map(lambda s: s + ".")),
        st.one_of(st.just(""), st.integers(1024, 65535).map(lambda p: f":{p}")),
        st.lists(segment, max_size=3),
        st.one_of(st.just(""), st.builds(lambda k, v: f"?{k}={v}", label, label)),
    )


def webhooks(domain: str = DEFAULT_TARGET_DOMAIN) -> st.SearchStrategy[dict[str, Any]]:
    """Every shape of schema-valid Webhook: all events, `numbers` absent, `null` or 1..n E.164
    numbers (both length boundaries included), and an optional client-chosen `id`.

    >>> webhooks().example()  # doctest: +SKIP
    {'target': 'https://example.com/fax', 'event': 'fax_sent', 'numbers': ['+12135550123']}
    """
    numbers = st.one_of(
        st.none(),
        st.lists(e164_numbers(), min_size=1, max_size=5),
        st.just(["+12"]),  # shortest valid number
        st.just(["+12", "+123456789012345"]),  # both length boundaries in one list
    )
    return st.fixed_dictionaries(
        {"target": targets(domain), "event": st.sampled_from(CONTRACT.events)},
        optional={"numbers": numbers, "id": st.text(alphabet="0123456789abcdef", min_size=24, max_size=24)},
    )
