//! The Step Functions activities the server knows (CreateActivity and friends): named
//! queues of work for external workers. Create is idempotent by name.

use std::collections::BTreeMap;
use std::sync::RwLock;

use chrono::{DateTime, Utc};

use crate::error::{ApiError, ErrorType};

/// One activity.
#[derive(Debug, Clone)]
pub struct Activity {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created: DateTime<Utc>,
}

/// Every activity, by ARN.
#[derive(Debug, Default)]
pub struct ActivityStore {
    activities: RwLock<BTreeMap<String, Activity>>,
}

impl ActivityStore {
    /// Creates the activity (or returns the existing one of that ARN).
    pub fn create(&self, arn: String, name: String) -> Activity {
        self.activities
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(arn.clone())
            .or_insert_with(|| Activity {
                arn,
                name,
                created: Utc::now(),
            })
            .clone()
    }

    /// The activity `arn`, or `ActivityDoesNotExist`.
    pub fn get(&self, arn: &str) -> Result<Activity, ApiError> {
        self.activities
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(arn)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorType::ActivityDoesNotExist,
                    format!("Activity Does Not Exist: '{arn}'"),
                )
            })
    }

    /// Deletes the activity (an unknown one too, as AWS does).
    pub fn delete(&self, arn: &str) {
        self.activities
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(arn);
    }

    /// Every activity, in ARN order.
    pub fn all(&self) -> Vec<Activity> {
        self.activities
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }
}
