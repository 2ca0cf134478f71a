"""drf-spectacular hooks: one schema operation per route that is served with and without a trailing slash."""


def keep_first_of_slash_twins(endpoints, **kwargs):
    """Drop an endpoint when the same method was already listed at its path with or without the final slash."""
    seen = set()
    kept = []
    for path, path_regex, method, callback in endpoints:
        key = (path.rstrip("/"), method)
        if key not in seen:
            seen.add(key)
            kept.append((path, path_regex, method, callback))
    return kept
