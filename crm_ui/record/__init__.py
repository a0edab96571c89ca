"""The Fiche affaire: its form, its tabs (documents, projets, actions, historique) and
the pieces they share (the compte picker, the child forms)."""
