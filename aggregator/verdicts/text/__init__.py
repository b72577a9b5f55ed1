"""The verdict text model: reading a verdict from an unscored review's prose ("inferred").

- model.py: the interface (`VerdictModel`, `Inference`), the lexicon fallback
  (`fallback_model`), training labels, and why a review got no verdict;
- lexicon.py, features.py: what the trained model reads (words, word pairs with negation
  marking, lexicon scores); priors.py: outlet and critic fresh rates, the film's consensus;
- linear.py: the trained linear model (scikit-learn at training time, plain JSON weights
  after); calibration.py: its threshold; training.py: training it and measuring it held out.
- batch.py: many reviews' reads in one call (`ReadBatch`), with the verdicts of one by one.

Pure: nothing here reads the database. Stored models are aggregator.db.verdict_models, the
model a run uses and the store's labelled examples aggregator.db.verdict_loading.
docs/verdicts.md has the rules and the figures.
"""
