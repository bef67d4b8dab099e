"""Use cases: data, labelling, quality, training, versions, evaluation, export. No Qt here."""
