"""Read lmscope's Parquet lake with Apache Spark (local mode), as a bigger engine would.

Usage: spark_read.py LAKE MONTH
Prints one JSON object: each table's row count per `month=` folder (or in all, for the
tables that are not partitioned), and MONTH's license-hours per department, joined and
summed by Spark from `user_daily` and `org_people`.
"""

import json
import os
import sys

from pyspark.sql import SparkSession

lake, month = sys.argv[1], sys.argv[2]
spark = (
    SparkSession.builder.master("local[1]")
    .appName("lmscope-lake")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.sql.shuffle.partitions", "1")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")

counts = {}
for table in sorted(os.listdir(lake)):
    if table.startswith(("_", ".")):
        continue
    frame = spark.read.parquet(os.path.join(lake, table))
    frame.createOrReplaceTempView(table)
    if "month" in frame.columns:
        rows = spark.sql(f"SELECT CAST(month AS STRING), count(*) FROM {table} GROUP BY 1").collect()
        counts[table] = {str(r[0]): r[1] for r in rows}
    else:
        counts[table] = {"all": frame.count()}

departments = spark.sql(
    """
    SELECT coalesce(p.department, 'unassigned') AS department, sum(u.license_hours) AS hours
    FROM user_daily u LEFT JOIN org_people p ON p.user_name = u.user_name
    WHERE CAST(u.month AS STRING) = %s
    GROUP BY 1
    """
    % json.dumps(month).replace('"', "'")
).collect()

print(json.dumps({
    "spark": spark.version,
    "counts": counts,
    "license_hours": {r["department"]: r["hours"] for r in departments},
}))
spark.stop()
