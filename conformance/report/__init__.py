"""Reporting: summary.json, summary.md, the console table, Allure labels and the HTML report."""
