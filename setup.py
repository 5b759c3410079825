from setuptools import find_packages, setup

setup(
    name="quality_movies",
    version="0.1.0",
    description="The AWS 'quality movie data' recipe as a Dagster asset graph that also runs locally.",
    # The warehouse SQL stays in the repository's top-level sql/ (where a DBA looks for it) and ships inside the
    # package as quality_movies.sql through the symlink quality_movies/sql -> ../sql: builds copy the files it
    # points at, and code reads them with importlib.resources wherever the package is installed. (Mapping the
    # package to sql/ in package_dir would make `pip install -e` use setuptools' import finder, which prints a
    # warning block on every install; with the root named as the package folder it is a plain .pth file.)
    packages=find_packages(exclude=["quality_movies_tests*", "benchmarks*", "sql", "sql.*"]),
    package_dir={"": "."},
    package_data={
        "quality_movies": ["sample/*.csv", "rules/*.dqdl", "rules/*.toml"],
        "quality_movies.sql": ["*.sql"],
    },
    python_requires=">=3.11",
    # dagster-aws and dagster-webserver pin dagster exactly: the set moves together.
    install_requires=[
        "dagster==1.13.27",
        "dagster-aws==0.29.27",
        "dagster-webserver==1.13.27",
        "polars==1.44.2",
        # Not pandas: pandera imports it whenever it is installed (0.5 s), and the polars backend does without it.
        "pandera[polars]==0.35.0",
        "pyarrow>=14",
        "redshift-connector==2.2.0",
        "pgserver==0.1.4",
        "boto3>=1.34",
        "pydantic>=2",  # the resources' fields and private attributes
        "scramp>=1.4,<1.5",  # the embedded warehouse's SCRAM password verifier (redshift-connector's own range)
        "ftfy>=6.2,<7",  # repair_double_encoding: fix_encoding, apply_plan and the sloppy-windows-1252 codec
    ],
    extras_require={
        # Browser tests drive Debian's Chromium (/usr/bin/chromium); Playwright never downloads one.
        "dev": [
            "pytest>=8",
            "hypothesis>=6",
            "moto[server]>=5",
            "ruff>=0.6",
            "playwright>=1.45",
            # The production instance's storage (deploy/dagster.yaml), pinned with dagster as the image pins it.
            "dagster-postgres==0.29.27",
            # What the packaging tests and `make wheel-check` build with, without build isolation.
            "setuptools>=68",
            "wheel",
            # The deployment template's linter, and a parser that knows Redshift's COPY (tests only).
            "cfn-lint>=1.20",
            "sqlglot>=25",
        ],
    },
    entry_points={"console_scripts": ["quality-movies=quality_movies.cli:console"]},
)
