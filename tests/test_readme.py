"""The README stays a front door, and every relative link in it and in docs/ leads somewhere."""

import glob
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r"\]\(([^)\s]+)\)")  # [text](target) and ![alt](target)


def _pages():
    return [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))


def _anchors(page):
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    with open(page, encoding="utf-8") as f:
        headings = re.findall(r"^#+ (.+)$", f.read(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_readme_is_at_most_250_lines():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        assert len(f.read().splitlines()) <= 250


def test_readme_keeps_the_ci_test_command():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        assert "```bash\npython -m pytest\n```" in f.read()


def test_every_relative_link_resolves():
    broken = []
    for page in _pages():
        with open(page, encoding="utf-8") as f:
            text = f.read()
        for target in LINK.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):
                continue  # a URL
            path, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(resolved) or (anchor and resolved.endswith(".md") and anchor not in _anchors(resolved)):
                broken.append(f"{os.path.relpath(page, ROOT)}: {target}")
    assert not broken, "links to missing files:\n" + "\n".join(broken)


def _report():
    with open(os.path.join(ROOT, "docs", "campaign", "results.md"), encoding="utf-8") as f:
        return f.read()


def test_the_readmes_results_table_is_the_reports_headline_table():
    # `campaign.py report` writes the headline table; the README copies it, so a redrawn report that moved a number
    # fails here until the README carries the new one.
    def rows(text):
        return [line for line in text.splitlines() if re.match(r"\| (100k|500k) \| ", line)]

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    headline = _report().split("## The headline", 1)[1].split("\n## ", 1)[0]
    assert rows(readme) == rows(headline)


def test_the_readmes_run_count_is_the_reports():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme_count = re.search(r"; (\d+) runs\.", f.read()).group(1)
    assert f"from results/campaign/ ({readme_count} runs)" in _report()
