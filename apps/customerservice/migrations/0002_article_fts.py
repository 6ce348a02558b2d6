"""Full-text search for articles on SQLite: an FTS5 table over title, body and
tags, kept in sync with customerservice_article by triggers (the external
content pattern from the FTS5 documentation). PostgreSQL needs nothing here:
its search is computed with SearchVector at query time."""

from django.db import migrations

CREATE = [
    """CREATE VIRTUAL TABLE customerservice_article_fts USING fts5(
        title, body, tags,
        content='customerservice_article', content_rowid='id',
        tokenize='porter unicode61'
    )""",
    """CREATE TRIGGER customerservice_article_ai AFTER INSERT ON customerservice_article BEGIN
        INSERT INTO customerservice_article_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
    END""",
    """CREATE TRIGGER customerservice_article_ad AFTER DELETE ON customerservice_article BEGIN
        INSERT INTO customerservice_article_fts(customerservice_article_fts, rowid, title, body, tags)
        VALUES ('delete', old.id, old.title, old.body, old.tags);
    END""",
    """CREATE TRIGGER customerservice_article_au AFTER UPDATE ON customerservice_article BEGIN
        INSERT INTO customerservice_article_fts(customerservice_article_fts, rowid, title, body, tags)
        VALUES ('delete', old.id, old.title, old.body, old.tags);
        INSERT INTO customerservice_article_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
    END""",
    "INSERT INTO customerservice_article_fts(customerservice_article_fts) VALUES ('rebuild')",
]

DROP = [
    "DROP TRIGGER IF EXISTS customerservice_article_ai",
    "DROP TRIGGER IF EXISTS customerservice_article_ad",
    "DROP TRIGGER IF EXISTS customerservice_article_au",
    "DROP TABLE IF EXISTS customerservice_article_fts",
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("customerservice", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
