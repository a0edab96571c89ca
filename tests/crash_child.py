"""A writer for the crash tests, run as `python -m tests.crash_child DB`: saves until killed.

Each save raises affaire 1's ca_potentiel by one and, every third time, creates an affaire with
a devis and its PDF. After each save returns it prints what was saved ("U 12", "C Crash 7"), so
the killing test knows which saves were acknowledged.
"""

from __future__ import annotations

import sys

from crm_data import affaires, documents, users
from crm_data.store import db

PDF = b"%PDF-1.4\n" + b"0123456789abcdef" * 4096


def main(path: str) -> None:
    con = db.open_base(path)
    # Frequent checkpoints, so that kills also land in the middle of one.
    con.execute("SET checkpoint_threshold = '64KB'")
    actor = users.local_admin(con)
    step = 0
    while True:
        step += 1
        current = affaires.get_affaire(con, actor, 1)
        assert current.ca_potentiel is not None
        value = current.ca_potentiel + 1
        affaires.update_affaire(
            con, actor, 1, {"ca_potentiel": value, "notes": f"sauvegarde {value}"}, current.version
        )
        print(f"U {value}", flush=True)
        if step % 3 == 0:
            nom = f"Crash {current.ca_potentiel}"
            with db.transaction(con) as cur:
                new_id = affaires.insert_affaire(
                    cur, actor, {"nom": nom, "compte_id": current.compte_id}
                )
            documents.create_document(
                con,
                actor,
                new_id,
                {
                    "type": "Devis",
                    "numero": nom,
                    "date_document": "2026-05-04",
                    "montant_ht": "1",
                    "statut": "Brouillon",
                    "fichier": PDF,
                },
            )
            print(f"C {nom}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
