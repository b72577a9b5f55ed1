"""`aggregator train-verdicts`: train the text model that reads verdicts from unscored reviews.

    aggregator train-verdicts [--db URL] [--dir DIR]
    aggregator train-verdicts --csv FILE --text COLUMN --label COLUMN [--group COLUMN]
        [--publication COLUMN] [--critic COLUMN] [--db URL]

From the database: the stored reviews with text whose verdict came from a rating, a label or a
person (aggregator.verdicts.text.training.TRAINING_SOURCES). From a CSV: the named columns (labels
POSITIVE/NEGATIVE, Fresh/Rotten, positive/mixed/negative, 1/0; the --group column is the film,
whose other labels are each row's film consensus). Prints the examples used, the
held-out accuracy and macro-F1, and the version stored; refuses below MIN_TRAINING.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aggregator.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, _open


def cmd_train_verdicts(args) -> int:
    from aggregator.db.verdict_loading import labelled_from_database
    from aggregator.db.verdict_models import DIRECTORY_SETTING, model_directory, save_verdict_model
    from aggregator.verdicts.text.model import MIN_TRAINING, TrainingError
    from aggregator.verdicts.text.training import CsvError, labelled_from_csv, train_and_measure

    if args.csv and not (args.text and args.label):
        print("aggregator train-verdicts: --csv needs --text COLUMN and --label COLUMN", file=sys.stderr)
        return EXIT_USAGE
    if not args.csv and (args.text or args.label or args.group or args.publication or args.critic):
        print("aggregator train-verdicts: --text/--label/--group/--publication/--critic go with --csv",
              file=sys.stderr)
        return EXIT_USAGE
    if args.csv:  # read before the database is opened: a bad CSV creates no database
        try:
            data = labelled_from_csv(args.csv, args.text, args.label, args.group,
                                     args.publication, args.critic)
        except CsvError as error:
            print(f"aggregator train-verdicts: {error}", file=sys.stderr)
            return EXIT_USAGE
        origin = f"{args.csv} (text {args.text!r}, label {args.label!r})"
    _, engine, sessions = _open(args)
    try:
        if not args.csv:
            with sessions() as session:
                data = labelled_from_database(session)
            origin = "the database's reviews with a rating, label or manual verdict"
        print(f"labelled examples from {origin}: {len(data.texts):,}")
        try:
            model, metrics = train_and_measure(data, seed=args.seed)
        except TrainingError as error:
            print(f"aggregator train-verdicts: not trained: {error} (MIN_TRAINING = {MIN_TRAINING}); "
                  "the lexicon fallback stays in use", file=sys.stderr)  # fmt: skip
            return EXIT_REFUSED
        skipped = ", ".join(f"{reason} {n:,}" for reason, n in sorted(model.skipped.items())) or "none"
        print(f"examples used: {model.trained_on:,} (skipped: {skipped})")
        if "accuracy" in metrics:
            print(f"held out ({metrics['held_out']:,} examples, whole films/groups): "
                  f"accuracy {metrics['accuracy']:.2%}, macro-F1 {metrics['macro_f1']:.3f} "
                  f"(always fresh: {metrics['always_fresh_accuracy']:.2%})")  # fmt: skip
        else:
            print("held out: no figure (too few groups to hold any out)")
        directory = model_directory(args.dir)
        with sessions() as session:
            version = save_verdict_model(model, session, directory=directory)
            session.commit()
        print(f"stored {model.name}@{version} in the database" + (f" and {directory}" if directory else ""))
        if directory is None:
            print(f"  (set {DIRECTORY_SETTING} or pass --dir to also keep it as a file)")
    finally:
        engine.dispose()
    return EXIT_OK


def register(commands, common) -> None:
    train = commands.add_parser(
        "train-verdicts", parents=[common],
        help="train the text model that reads verdicts from unscored reviews",
    )  # fmt: skip
    train.add_argument("--csv", type=Path, metavar="FILE", help="train on a labelled CSV instead of the database")
    train.add_argument("--text", metavar="COLUMN", help="the CSV's text column")
    train.add_argument("--label", metavar="COLUMN", help="the CSV's label column")
    train.add_argument("--group", metavar="COLUMN",
                       help="the CSV's film column: held-out rows are whole films, and each row's film "
                            "consensus (its film's other labels) is learnt from")  # fmt: skip
    train.add_argument("--publication", metavar="COLUMN",
                       help="the CSV's outlet-name column: the model learns each outlet's fresh rate")
    train.add_argument("--critic", metavar="COLUMN",
                       help="the CSV's critic-name column: the model learns each critic's fresh rate")
    train.add_argument("--dir", metavar="DIR", help="also store the model in this directory "
                       "(default $AGGREGATOR_VERDICT_MODEL_DIR)")  # fmt: skip
    train.add_argument("--seed", type=int, default=0, help="random seed of the split and the solver")
    train.set_defaults(handler=cmd_train_verdicts)
