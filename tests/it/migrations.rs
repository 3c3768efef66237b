use migration::{Migrator, MigratorTrait};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(migrations_go_up_down_and_up_again);

async fn migrations_go_up_down_and_up_again(backend: Backend) {
    let db = TestDb::new(backend).await;
    let conn = db.connect().await;
    Migrator::down(&conn, None).await.expect("down");
    assert!(Migrator::get_applied_migrations(&conn)
        .await
        .unwrap()
        .is_empty());
    Migrator::up(&conn, None).await.expect("up again");
    assert_eq!(
        Migrator::get_applied_migrations(&conn).await.unwrap().len(),
        Migrator::migrations().len()
    );
}
