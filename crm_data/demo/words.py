"""Word lists the demo data is drawn from: French names, trades, cities, subjects and notes.

Plain tuples only; crm_data.demo.generate combines them with a seeded generator.
"""

from __future__ import annotations

# Compact tables of words read better than one word a line.
# fmt: off
PRENOMS = (
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Claire", "Sophie",
    "Nathalie", "Isabelle", "Sandrine", "Céline", "Aurélie", "Hélène", "Valérie", "Émilie",
    "Marion", "Lucie", "Anne", "Catherine", "Laure", "Pauline", "Agnès", "Élodie", "Mathilde",
    "Thomas", "Nicolas", "Julien", "Maxime", "Antoine", "Pierre", "Alexandre", "Guillaume",
    "François", "Laurent", "Sébastien", "Olivier", "Philippe", "Christophe", "Stéphane",
    "Jérôme", "Frédéric", "David", "Éric", "Hugo", "Louis", "Lucas", "Arnaud", "Benoît",
    "Cédric", "Damien", "Fabrice", "Grégoire", "Jean-Marc", "Marie-Christine", "Anne-Sophie",
)

NOMS = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
    "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier",
    "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Pérez", "Marchand",
    "Dufour", "Blanchard", "Marie", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux",
    "Colin", "Fernandez", "Pierre", "Renard", "Arnaud", "Rolland", "Caron", "Aubert",
    "Giraud", "Leclerc", "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard",
    "Philippe", "Leclercq", "Lacroix", "Fabre", "Dupuis", "Olivier", "Rodriguez", "Da Silva",
    "Hubert", "Louis", "Charles", "Guillot", "Rivière", "Le Gall", "Guillaume", "Adam",
    "Rey", "Moulin", "Gonzalez", "Berger", "Lecomte", "Menard", "Fleury", "Deschamps",
    "Carpentier", "Julien", "Benoît", "Paris", "Maillard", "Marchal", "Aubry", "Vasseur",
    "Le Roux", "Renault", "Jacquet", "Collet", "Prévost", "Poirier", "Charpentier", "Royer",
    "Huet", "Baron", "Dupuy", "Pons", "Paul", "Laine", "Carré", "Breton", "Rémy", "Schneider",
    "Perrot", "Guyot", "Barre", "Marty", "Cousin", "Tessier", "Lebrun", "Hamon", "Bailly",
    "Hervé", "Langlois", "Texier", "Weber", "Bouvier", "Collin", "Bouchet", "Le Goff",
    "Besson", "Riviere", "Lemaître", "Chauvin", "Boucher", "Millet", "Germain", "Leblanc",
    "Delmas", "Pichon", "Marechal", "Lefebvre", "Launay", "Chauvet", "Bertin", "Joubert",
)

# Trade in the plural as a company name starts with it, and the compte's secteur.
METIERS = (
    ("Boulangeries", "Agroalimentaire"), ("Transports", "Transport et logistique"),
    ("Imprimerie", "Industrie"), ("Menuiserie", "Bâtiment"), ("Garage", "Automobile"),
    ("Laboratoires", "Santé"), ("Pharmacie", "Santé"), ("Charpentes", "Bâtiment"),
    ("Constructions", "Bâtiment"), ("Électricité", "Bâtiment"), ("Plomberie", "Bâtiment"),
    ("Fromagerie", "Agroalimentaire"), ("Brasserie", "Agroalimentaire"),
    ("Caves", "Agroalimentaire"), ("Vignobles", "Agroalimentaire"), ("Hôtels", "Tourisme"),
    ("Voyages", "Tourisme"), ("Librairie", "Commerce"), ("Magasins", "Commerce"),
    ("Distribution", "Commerce"), ("Jardineries", "Commerce"), ("Pépinières", "Agriculture"),
    ("Élevages", "Agriculture"), ("Coopérative", "Agriculture"), ("Mécanique", "Industrie"),
    ("Fonderie", "Industrie"), ("Plastiques", "Industrie"), ("Emballages", "Industrie"),
    ("Textiles", "Industrie"), ("Chaussures", "Industrie"), ("Meubles", "Industrie"),
    ("Ambulances", "Santé"), ("Cliniques", "Santé"), ("Assurances", "Banque et assurance"),
    ("Immobilier", "Immobilier"), ("Agence", "Services"), ("Nettoyage", "Services"),
    ("Sécurité", "Services"), ("Informatique", "Informatique"), ("Logistique",
    "Transport et logistique"), ("Déménagements", "Transport et logistique"),
    ("Taxis", "Transport et logistique"), ("Paysages", "Services"), ("Optique", "Santé"),
    ("Travaux publics", "Bâtiment"), ("Carrosserie", "Automobile"), ("Traiteur",
    "Agroalimentaire"), ("Chocolaterie", "Agroalimentaire"), ("Scieries", "Industrie"),
)

CABINETS = ("Cabinet", "Groupe", "Atelier", "Bureau", "Études")
SPECIALITES = (
    "Conseil", "Expertise", "Audit", "Avocats", "Architecture", "Ingénierie",
    "Finance", "Patrimoine", "Formation", "Communication", "Recrutement", "Géomètres",
)
SPECIALITE_SECTEUR = "Conseil et services aux entreprises"
FORMES = ("SAS", "SARL", "SA", "EURL", "SCOP")

# City and its landline prefix (01 Île-de-France ... 05 Sud-Ouest).
VILLES = (
    ("Paris", "01"), ("Versailles", "01"), ("Créteil", "01"), ("Nanterre", "01"),
    ("Lille", "03"), ("Reims", "03"), ("Strasbourg", "03"), ("Metz", "03"), ("Nancy", "03"),
    ("Amiens", "03"), ("Dijon", "03"), ("Besançon", "03"), ("Lyon", "04"),
    ("Marseille", "04"), ("Nice", "04"), ("Grenoble", "04"), ("Montpellier", "04"),
    ("Saint-Étienne", "04"), ("Clermont-Ferrand", "04"), ("Avignon", "04"), ("Toulon", "04"),
    ("Annecy", "04"), ("Nantes", "02"), ("Rennes", "02"), ("Brest", "02"), ("Angers", "02"),
    ("Tours", "02"), ("Orléans", "02"), ("Caen", "02"), ("Rouen", "02"), ("Le Mans", "02"),
    ("Bordeaux", "05"), ("Toulouse", "05"), ("Pau", "05"), ("Limoges", "05"),
    ("Poitiers", "05"), ("La Rochelle", "05"), ("Bayonne", "05"), ("Perpignan", "04"),
    ("Nîmes", "04"), ("Valence", "04"), ("Chambéry", "04"), ("Mulhouse", "03"),
    ("Troyes", "03"), ("Niort", "05"), ("Agen", "05"), ("Quimper", "02"), ("Vannes", "02"),
)

REGIONS = (
    "du Val de Loire", "de Bretagne", "d'Alsace", "de Provence", "du Nord", "de Normandie",
    "du Sud-Ouest", "des Alpes", "de Bourgogne", "d'Auvergne", "du Languedoc", "de Lorraine",
    "de Champagne", "du Limousin", "de l'Ouest", "du Centre", "de Savoie", "du Béarn",
)

FONCTIONS = (
    "Directeur général", "Gérant", "Directeur administratif et financier",
    "Responsable achats", "Directeur des systèmes d'information", "Responsable informatique",
    "Comptable", "Responsable de production", "Assistant de direction", "Directeur commercial",
    "Responsable logistique", "Chef de projet", "Responsable qualité",
    "Responsable des ressources humaines", "Contrôleur de gestion", "Acheteur",
)

# Beginning of an affaire's name, by type.
OBJETS_TYPE = {
    "Nouveau": ("Nouveau projet", "Équipement", "Mise en place", "Acquisition", "Déploiement"),
    "Récurrent": ("Renouvellement", "Reconduction annuelle", "Renouvellement parc"),
    "Mise à jour": ("Mise à jour", "Extension", "Migration", "Mise à niveau"),
}

# Middle of an affaire's name, by famille d'article; "" for an affaire without famille.
OBJETS_FAMILLE = {
    "Logiciel": ("Logiciel", "logiciel de gestion", "licences ERP", "logiciel de paie"),
    "Matériel": ("Matériel", "postes de travail", "serveurs", "imprimantes", "téléphonie"),
    "Prestation": ("Prestation", "intégration", "accompagnement", "paramétrage"),
    "Formation": ("Formation", "formation des équipes", "formation utilisateurs"),
    "Maintenance": ("Maintenance", "contrat de maintenance", "support et assistance"),
    "": ("solution", "équipement", "projet informatique", "outil de suivi"),
}

NOTES_AFFAIRE = (
    "Budget validé par la direction, décision attendue en fin de trimestre.",
    "Le client compare trois offres ; le prix sera déterminant.",
    "Interlocuteur très réactif, rendez-vous de suivi à planifier.",
    "Attente du retour du service achats.",
    "Projet lié au déménagement des locaux.",
    "Demande une démonstration avant de s'engager.",
    "Client historique, relation de confiance.",
    "Appel d'offres public : respecter le calendrier du cahier des charges.",
    "Le décideur change de poste en septembre.",
    "Prévoir une remise si signature avant la fin du mois.",
)

NOTES_COMPTE = (
    "Client fidèle depuis plusieurs années.",
    "Paiement à 60 jours, relances fréquentes.",
    "Siège social et deux établissements secondaires.",
    "Prospect rencontré au salon professionnel.",
    "Groupe en forte croissance.",
)

OBJETS_ACTION = {
    "Mail": (
        "Envoi de la documentation",
        "Envoi de la proposition",
        "Compte rendu de réunion",
        "Réponse aux questions techniques",
    ),
    "Téléphone": (
        "Appel de découverte",
        "Point d'avancement",
        "Appel de qualification",
        "Point sur le budget",
    ),
    "Relance": ("Relance proposition", "Relance devis", "Relance décision"),
    "Rendez-vous": (
        "Rendez-vous de présentation",
        "Démonstration sur site",
        "Réunion de lancement",
        "Rendez-vous de négociation",
    ),
    "Tâche": (
        "Préparer le devis",
        "Mettre à jour la fiche compte",
        "Chiffrer les options",
        "Préparer la démonstration",
    ),
}

DESCRIPTIONS_ACTION = (
    "Besoin confirmé, budget en cours de validation.",
    "Le client souhaite une variante moins chère.",
    "Rappeler après la réunion du comité de direction.",
    "Questions techniques transmises à l'avant-vente.",
    "Échange positif, décision attendue sous quinze jours.",
    "Interlocuteur absent, message laissé.",
)

OBJETS_PROJET = ("Déploiement", "Mise en service", "Installation", "Lancement", "Paramétrage")

# Relative frequency of each seeded code clôture among lost affaires (other codes weigh 1).
POIDS_CODES_PERTE = {
    "Prix": 28.0,
    "Concurrent": 24.0,
    "Offre inadaptée": 10.0,
    "Délai de réponse": 7.0,
    "Pas de budget": 12.0,
    "Projet annulé": 9.0,
    "Décision reportée": 6.0,
    "Client injoignable": 4.0,
}
# fmt: on
